using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace Patchwork.Server.Hosting;

/// <summary>
/// Behind a TLS-terminating proxy the host sees the proxy's address and plain HTTP: cookies would lose Secure and
/// <c>__Host-</c>, HSTS would never be sent and every rate limit would key on the proxy. <c>X-Forwarded-For</c> and
/// <c>X-Forwarded-Proto</c> are honoured only from the proxies and networks named in settings
/// (<c>ForwardedHeaders:KnownProxies</c>, <c>ForwardedHeaders:KnownNetworks</c>, comma-separated); none are known by
/// default, so a client cannot forge its address or scheme. First in the pipeline: before sign-in, rate limits and audit.
/// </summary>
internal sealed class ProxyHeaders(ForwardedHeadersOptions options) : IStartupFilter
{
    public const string Section = "ForwardedHeaders";

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.UseForwardedHeaders(options);
        next(app);
    };

    /// <summary>The options from configuration; a value that is not an address or a network fails the start, naming the setting.</summary>
    public static ForwardedHeadersOptions From(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(Section);
        var options = new ForwardedHeadersOptions
        {
            ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto,
            // Walk back through every known proxy; the first address that is not one is the client.
            ForwardLimit = null,
        };
        // The framework trusts loopback by default; here nothing is trusted unless named.
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var proxy in Values(section.GetSection("KnownProxies")))
            options.KnownProxies.Add(IPAddress.TryParse(proxy, out var address)
                ? address
                : throw new InvalidOperationException($"{Section}:KnownProxies: '{proxy}' is not an IP address."));
        foreach (var network in Values(section.GetSection("KnownNetworks")))
            options.KnownIPNetworks.Add(System.Net.IPNetwork.TryParse(network, out var parsed)
                ? parsed
                : throw new InvalidOperationException($"{Section}:KnownNetworks: '{network}' is not a network in CIDR form (such as 10.0.0.0/8)."));
        return options;
    }

    /// <summary>A comma-separated value (as an environment variable gives it) or an array of values (as JSON does).</summary>
    private static IEnumerable<string> Values(IConfigurationSection setting) =>
        (setting.Value is { } joined ? [joined] : setting.GetChildren().Select(child => child.Value ?? ""))
        .SelectMany(value => value.Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
