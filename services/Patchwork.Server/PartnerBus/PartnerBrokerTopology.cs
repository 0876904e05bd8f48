using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;

namespace Patchwork.Server.PartnerBus;

/// <summary>The broker names of one partner organisation; the organisation is in every name, so it never travels in a message.</summary>
public sealed record PartnerBrokerNames(Guid Organisation)
{
    /// <summary>Patchwork publishes the organisation's notices here.</summary>
    public string NoticeExchange => $"partner.{Organisation:N}";

    /// <summary>The organisation's own queue of notices, bound to <see cref="NoticeExchange"/>.</summary>
    public string NoticeQueue => $"partner.{Organisation:N}";

    /// <summary>The partner publishes its commands here; Patchwork consumes them from <see cref="InboundQueue"/>.</summary>
    public string InboundExchange => $"partner.{Organisation:N}.inbound";

    public string InboundQueue => $"partner.{Organisation:N}.inbound";

    public static string UserFor(Guid partnerSystem) => $"partner-{partnerSystem:N}";
}

/// <summary>Broker credentials handed to a partner system's developers once; only the broker keeps the password (hashed).</summary>
public sealed record PartnerBrokerCredentials(string Username, string Password, string VirtualHost, PartnerBrokerNames Names);

/// <summary>
/// Declares a partner organisation's exchanges and queues and a broker user that may read only its own notice
/// queue and write only its own inbound exchange — and configure nothing — through RabbitMQ's management API.
/// </summary>
public sealed class PartnerBrokerTopology(HttpClient management, string virtualHost)
{
    public async Task<PartnerBrokerCredentials> ProvisionAsync(Guid partnerSystem, Guid organisation, CancellationToken cancellationToken)
    {
        var names = new PartnerBrokerNames(organisation);
        var vhost = WebUtility.UrlEncode(virtualHost);
        await PutAsync($"api/exchanges/{vhost}/{names.NoticeExchange}", new { type = "fanout", durable = true }, cancellationToken);
        await PutAsync($"api/queues/{vhost}/{names.NoticeQueue}", new { durable = true, arguments = new Dictionary<string, object> { ["x-queue-type"] = "quorum" } }, cancellationToken);
        await PostAsync($"api/bindings/{vhost}/e/{names.NoticeExchange}/q/{names.NoticeQueue}", new { routing_key = "" }, cancellationToken);
        await PutAsync($"api/exchanges/{vhost}/{names.InboundExchange}", new { type = "fanout", durable = true }, cancellationToken);
        await PutAsync($"api/queues/{vhost}/{names.InboundQueue}", new { durable = true, arguments = new Dictionary<string, object> { ["x-queue-type"] = "quorum" } }, cancellationToken);
        await PostAsync($"api/bindings/{vhost}/e/{names.InboundExchange}/q/{names.InboundQueue}", new { routing_key = "" }, cancellationToken);

        var username = PartnerBrokerNames.UserFor(partnerSystem);
        var password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
        await PutAsync($"api/users/{username}", new { password, tags = "" }, cancellationToken);
        // Regexes are anchored by the broker; dots are escaped so "partner.a" cannot match "partnerXa".
        await PutAsync($"api/permissions/{vhost}/{username}", new
        {
            configure = "^$",
            write = "^" + Escape(names.InboundExchange) + "$",
            read = "^" + Escape(names.NoticeQueue) + "$",
        }, cancellationToken);
        return new PartnerBrokerCredentials(username, password, virtualHost, names);
    }

    /// <summary>Removes a partner system's broker user at once (its connections are closed by the broker).</summary>
    public async Task RevokeAsync(Guid partnerSystem, CancellationToken cancellationToken)
    {
        using var response = await management.DeleteAsync($"api/users/{PartnerBrokerNames.UserFor(partnerSystem)}", cancellationToken);
        if (response.StatusCode != HttpStatusCode.NotFound) await EnsureAsync(response, cancellationToken);
    }

    public static HttpClient ManagementClient(Uri baseAddress, string adminUsername, string adminPassword)
    {
        var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{adminUsername}:{adminPassword}")));
        return client;
    }

    private static string Escape(string name) => name.Replace(".", "\\.", StringComparison.Ordinal);

    private Task PutAsync(string path, object body, CancellationToken cancellationToken) =>
        SendAsync(() => management.PutAsJsonAsync(path, body, cancellationToken), cancellationToken);

    private Task PostAsync(string path, object body, CancellationToken cancellationToken) =>
        SendAsync(() => management.PostAsJsonAsync(path, body, cancellationToken), cancellationToken);

    /// <summary>
    /// Every call here declares something that may already exist (a PUT, or a binding's POST), so a call the broker never
    /// received is sent again: a management listener that refuses connections for a moment (a node starting or restarting;
    /// seen once in a test run, right after the API had answered) delays a registration by seconds instead of failing it.
    /// </summary>
    private static async Task SendAsync(Func<Task<HttpResponseMessage>> send, CancellationToken cancellationToken)
    {
        var refusedUntil = DateTimeOffset.UtcNow + RefusedFor;
        for (var wait = TimeSpan.FromMilliseconds(200); ; wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, TimeSpan.FromSeconds(5).Ticks)))
        {
            try
            {
                using var response = await send();
                await EnsureAsync(response, cancellationToken);
                return;
            }
            catch (HttpRequestException refused) when (refused.InnerException is System.Net.Sockets.SocketException
                { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused } && DateTimeOffset.UtcNow < refusedUntil)
            {
                await Task.Delay(wait, cancellationToken);
            }
        }
    }

    /// <summary>How long a refusing management listener is given before the registration fails.</summary>
    private static readonly TimeSpan RefusedFor = TimeSpan.FromSeconds(30);

    private static async Task EnsureAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException(
                $"The broker refused {response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.AbsolutePath}: " +
                $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
    }
}
