using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Patchwork.Core;
using Patchwork.Server.SignIn;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.Hosting;

/// <summary>
/// The host on a real loopback port behind a TLS-terminating proxy at 127.0.0.1, the one address named in
/// <c>ForwardedHeaders:KnownProxies</c>. Requests "through the proxy" leave from 127.0.0.1 carrying X-Forwarded-For and
/// X-Forwarded-Proto, as the proxy adds them; a peer at 127.0.0.2 is someone else on the network, forging the same headers.
/// </summary>
public sealed class ProxiedServer : IAsyncLifetime
{
    public static readonly IPAddress Proxy = IPAddress.Parse("127.0.0.1");
    public static readonly IPAddress Stranger = IPAddress.Parse("127.0.0.2");
    public const int AttemptsPerWindow = 3;

    private readonly PostgresSchema _schema = new();
    private Host? _host;

    public Uri Address { get; private set; } = null!;

    public IServiceProvider Services => _host!.Services;

    public async Task InitializeAsync()
    {
        await _schema.InitializeAsync();
        _host = new Host(_schema.Name);
        Address = _host.Start();
    }

    public async Task DisposeAsync()
    {
        if (_host is not null) await _host.DisposeAsync();
        await _schema.DisposeAsync();
    }

    /// <summary>A client whose connections leave from <paramref name="local"/>; cookies are the test's to carry.</summary>
    public HttpClient From(IPAddress local) => new(new SocketsHttpHandler
    {
        UseCookies = false,
        AllowAutoRedirect = false,
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(local, 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    }) { BaseAddress = Address };

    private sealed class Host(string schema) : WebApplicationFactory<Program>
    {
        public Uri Start()
        {
            UseKestrel(0);
            StartServer();
            return new Uri(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("ConnectionStrings:Patchwork", LocalServers.PostgresApp)
                .UseSetting("ConnectionStrings:PatchworkOwner", LocalServers.PostgresOwner)
                .UseSetting("EventStore:Schema", schema)
                .UseSetting("Tokens:Schema", schema)
                .UseSetting("Policy:MaskingKey", Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)))
                .UseSetting("RabbitMq:Host", LocalServers.RabbitHost)
                .UseSetting("RabbitMq:Port", LocalServers.RabbitPort.ToString(CultureInfo.InvariantCulture))
                .UseSetting("RabbitMq:VirtualHost", "patchwork")
                .UseSetting("RabbitMq:Username", LocalServers.RabbitUsername)
                .UseSetting("RabbitMq:Password", LocalServers.RabbitPassword)
                .UseSetting("PartnerBus:Relay", "false")
                .UseSetting("Mail:PickupDirectory", Path.Combine(Path.GetTempPath(), "patchwork-proxy-mail-" + schema))
                .UseSetting("SignIn:AttemptsPerWindow", AttemptsPerWindow.ToString(CultureInfo.InvariantCulture))
                .UseSetting("SignIn:MaxFailedAttempts", "1000")
                .UseSetting("ForwardedHeaders:KnownProxies", Proxy.ToString());
            builder.ConfigureTestServices(services => services.AddDataProtection().UseEphemeralDataProtectionProvider());
        }
    }
}

public sealed class ProxyHeadersTests(ProxiedServer server) : IClassFixture<ProxiedServer>
{
    [Fact]
    public async Task Through_the_known_proxy_the_session_cookie_is_Secure_with_the_Host_prefix_and_HSTS_is_sent()
    {
        var account = await GivenAccountAsync();
        using var proxy = server.From(ProxiedServer.Proxy);
        var agent = new Agent(proxy, "203.0.113.7", https: true);

        using var signedIn = await agent.SignInAsync(account.Email, SignInStrongPassword);
        signedIn.StatusCode.ShouldBe(HttpStatusCode.OK, await signedIn.Content.ReadAsStringAsync());
        signedIn.Headers.GetValues("Strict-Transport-Security").ShouldHaveSingleItem().ShouldStartWith("max-age=");
        var cookie = signedIn.Headers.GetValues("Set-Cookie").Where(c => c.StartsWith("__Host-patchwork-second-factor=", StringComparison.Ordinal)).ShouldHaveSingleItem();
        cookie.ShouldContain("secure", Case.Insensitive);
        cookie.ShouldContain("path=/", Case.Insensitive);
        agent.AntiforgeryCookie!.ShouldContain("secure", Case.Insensitive);
    }

    [Fact]
    public async Task Forged_forwarding_headers_from_a_peer_that_is_not_a_known_proxy_are_ignored()
    {
        var account = await GivenAccountAsync();
        using var stranger = server.From(ProxiedServer.Stranger);
        var agent = new Agent(stranger, "198.51.100.1", https: true);

        using var signedIn = await agent.SignInAsync(account.Email, SignInStrongPassword);
        signedIn.StatusCode.ShouldBe(HttpStatusCode.OK, await signedIn.Content.ReadAsStringAsync());
        signedIn.Headers.Contains("Strict-Transport-Security").ShouldBeFalse("the request really came over plain HTTP");
        var cookie = signedIn.Headers.GetValues("Set-Cookie").Where(c => c.StartsWith("patchwork-second-factor=", StringComparison.Ordinal)).ShouldHaveSingleItem();
        cookie.ShouldNotContain("secure", Case.Insensitive);

        // Every attempt claims a new address; the limit still counts them against the real peer.
        for (var attempt = 1; attempt < ProxiedServer.AttemptsPerWindow; attempt++)
        {
            var forging = new Agent(stranger, $"198.51.100.{attempt + 1}", https: true);
            using var refused = await forging.SignInAsync(account.Email, "not the password");
            refused.StatusCode.ShouldNotBe(HttpStatusCode.TooManyRequests);
        }
        using var limited = await new Agent(stranger, "198.51.100.200", https: true).SignInAsync(account.Email, "not the password");
        limited.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests, "a forged X-Forwarded-For does not buy a fresh allowance");
    }

    [Fact]
    public async Task Behind_the_proxy_the_sign_in_limit_keys_on_each_forwarded_client_so_one_attacker_does_not_block_everyone()
    {
        var account = await GivenAccountAsync();
        using var proxy = server.From(ProxiedServer.Proxy);
        var attacker = new Agent(proxy, "203.0.113.66", https: true);
        for (var attempt = 0; attempt < ProxiedServer.AttemptsPerWindow; attempt++)
        {
            using var refused = await attacker.SignInAsync($"nobody{attempt}@example.org", "guess");
            refused.StatusCode.ShouldNotBe(HttpStatusCode.TooManyRequests);
        }
        using (var limited = await attacker.SignInAsync("nobody@example.org", "guess"))
            limited.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);

        // Another practitioner behind the same proxy signs in unhindered.
        using var practitioner = await new Agent(proxy, "203.0.113.99", https: true).SignInAsync(account.Email, SignInStrongPassword);
        practitioner.StatusCode.ShouldBe(HttpStatusCode.OK, await practitioner.Content.ReadAsStringAsync());
    }

    private const string SignInStrongPassword = "correct horse battery staple";

    private async Task<(string Email, PractitionerId Practitioner)> GivenAccountAsync()
    {
        var email = $"p{Guid.NewGuid():N}@example.org";
        var practitioner = new PractitionerId(Guid.CreateVersion7());
        await using var scope = server.Services.CreateAsyncScope();
        var created = await scope.ServiceProvider.GetRequiredService<PractitionerAccounts>().CreateAsync(new NewPractitionerAccount(
            practitioner, new OrganisationId(Guid.CreateVersion7()), "Test Practitioner", email, Roles.Practitioner, SignInStrongPassword), default);
        created.Succeeded.ShouldBeTrue(string.Join("; ", created.Errors.Select(e => e.Description)));
        return (email, practitioner);
    }

    /// <summary>One user agent behind the proxy (or pretending to be): its forwarded address and scheme, and its antiforgery cookie.</summary>
    private sealed class Agent(HttpClient http, string forwardedFor, bool https)
    {
        public string? AntiforgeryCookie { get; private set; }

        public async Task<HttpResponseMessage> SignInAsync(string email, string password)
        {
            using var tokenRequest = Forwarded(HttpMethod.Get, "/account/antiforgery");
            using var tokenResponse = await http.SendAsync(tokenRequest);
            tokenResponse.EnsureSuccessStatusCode();
            AntiforgeryCookie = tokenResponse.Headers.GetValues("Set-Cookie").Single(c => c.Contains("antiforgery", StringComparison.Ordinal));
            var token = (await tokenResponse.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("requestToken").GetString()!;

            using var request = Forwarded(HttpMethod.Post, "/account/sign-in");
            request.Headers.Add("Cookie", AntiforgeryCookie.Split(';')[0]);
            request.Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["email"] = email, ["password"] = password, ["__RequestVerificationToken"] = token,
            });
            return await http.SendAsync(request);
        }

        private HttpRequestMessage Forwarded(HttpMethod method, string path)
        {
            var request = new HttpRequestMessage(method, path);
            request.Headers.Add("X-Forwarded-For", forwardedFor);
            if (https) request.Headers.Add("X-Forwarded-Proto", "https");
            return request;
        }
    }
}
