using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Patchwork.Core;
using Patchwork.EventStore;
using Patchwork.Server.PartnerBus;
using Patchwork.Server.Tests.Foundation;
using Patchwork.Server.Tests.PartnerBus;
using Patchwork.Server.Tokens;
using Patchwork.Testing;
using static Patchwork.Server.Tests.PartnerBus.PartnerRelayRig;

namespace Patchwork.Server.Tests.Faults;

/// <summary>
/// A partner system's case management system under load: <see cref="Callers"/> callers recording the organisation's
/// involvements over HTTP with a real access token, each with a few clients of its own, until stopped, at
/// <see cref="WritesPerSecond"/> in all — above the national peak DESIGN.md §7 estimates (under 50 writes/s), and a rate
/// the relays keep up with on this machine, so that what a test waits for after a fault is the fault's backlog. A caller answered
/// 503 retries the same involvement (same id) after a short pause, as a well-behaved partner does; a 409 on such a retry
/// says the earlier attempt's commit had landed although its answer was lost. Every answer is kept, stamped with when
/// its request was sent and answered.
/// </summary>
public sealed class PartnerWriteLoad : IAsyncDisposable
{
    public const int Callers = 16;

    public const int WritesPerSecond = 60;

    /// <summary>Each caller's pace: one new involvement per slot (a retry after 503 does not wait for one).</summary>
    private static readonly TimeSpan Slot = TimeSpan.FromSeconds((double)Callers / WritesPerSecond);

    /// <summary>The pause after a 503 before the retry: shorter than Retry-After, so the outage sees many requests.</summary>
    private static readonly TimeSpan PauseAfterUnavailable = TimeSpan.FromMilliseconds(100);

    /// <summary>How long one involvement may go on being answered 503 before its caller gives up (the server did not recover).</summary>
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(180);

    private readonly HttpClient _http;
    private readonly IReadOnlyList<ClientId>[] _clients;
    private readonly ConcurrentQueue<Answer> _answers = new();
    private readonly ConcurrentQueue<Written> _written = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _abandon = new();
    private Task? _running;

    private PartnerWriteLoad(Uri server, string token, IReadOnlyList<ClientId>[] clients)
    {
        _http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Callers * 2 }) { BaseAddress = server, Timeout = TimeSpan.FromSeconds(90) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        _clients = clients;
    }

    /// <summary>One HTTP answer: the involvement it was about, its status, whether it carried Retry-After, when sent and answered.</summary>
    public sealed record Answer(Guid Involvement, int Status, bool RetryAfter, DateTime SentAt, DateTime AnsweredAt, string? Body);

    /// <summary>How one involvement's attempts ended: 2xx (acknowledged), 409 on a retry (recorded by an earlier attempt), or otherwise.</summary>
    public sealed record Written(Guid Involvement, ClientId Client, int FinalStatus, int Attempts, DateTime SentAt, DateTime AnsweredAt)
    {
        public bool Acknowledged => FinalStatus is >= 200 and < 300;

        /// <summary>Answered 503 first, then 409 "already recorded": the first attempt committed, its answer was lost.</summary>
        public bool FoundOnRetry => FinalStatus == 409 && Attempts > 1;
    }

    public IReadOnlyList<Answer> Answers => [.. _answers];

    public IReadOnlyList<Written> Writes => [.. _written];

    /// <summary>Involvements acknowledged with a request sent at or after <paramref name="since"/>.</summary>
    public int AcknowledgedSentSince(DateTime since) => _written.Count(w => w.Acknowledged && w.SentAt >= since);

    /// <summary>Answers of 503 that arrived at or after <paramref name="since"/>.</summary>
    public int UnavailableSince(DateTime since) => _answers.Count(a => a.Status == 503 && a.AnsweredAt >= since);

    /// <summary>The answers so far by status, for the test's output and a failure's message ("201: 228, 503: 115").</summary>
    public string ByStatus => string.Join(", ", _answers.GroupBy(a => a.Status).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}"));

    /// <summary>Answers outside the contract: anything but 2xx, 409, 412, or 503 with Retry-After (0 = no answer at all).</summary>
    public IReadOnlyList<Answer> OutsideTheContract =>
        [.. _answers.Where(a => !(a.Status is >= 200 and < 300 or 409 or 412 || (a.Status == 503 && a.RetryAfter)))];

    /// <summary>The first few answers outside the contract, each with its status, Retry-After and body, for a failure's message.</summary>
    public string OutsideTheContractDescribed => string.Join("; ", OutsideTheContract.Take(5).Select(a =>
        $"{a.Status} {(a.RetryAfter ? "with" : "without")} Retry-After, answered {a.AnsweredAt:HH:mm:ss.fff}: {a.Body}"));

    /// <summary>Registers a partner system of <paramref name="organisation"/> that reads and writes, provisions its queue, and starts the load on <paramref name="server"/>.</summary>
    internal static async Task<(PartnerWriteLoad Load, PartnerBrokerCredentials Partner)> StartAsync(PartnerRelayRig rig, IPartnerClientDirectory directory,
        OrganisationId organisation, Uri server, IReadOnlyList<ClientId> clients)
    {
        var system = PartnerSystemId.New();
        var client = await directory.RegisterAsync(
            new PartnerClientRegistration(system, organisation, "case system under load", [PartnerScopes.Read, PartnerScopes.InvolvementsWrite]), default);
        var secret = await directory.IssueSecretAsync(client.ClientId, default);
        var partner = await rig.ProvisionAsync(organisation, system.Value);
        var token = await TokenAsync(server, client.OAuthClientId, secret);
        var load = new PartnerWriteLoad(server, token, [.. Enumerable.Range(0, Callers).Select(caller => clients.Where((_, i) => i % Callers == caller).ToList())]);
        load._running = Task.WhenAll(Enumerable.Range(0, Callers).Select(caller => Task.Run(() => load.CallAsync(caller))));
        return (load, partner);
    }

    /// <summary>Clients with one social care involvement each (so their records exist), for the callers to record on.</summary>
    public static async Task<IReadOnlyList<ClientId>> GivenClientsAsync(EventStore.EventStore store, int count)
    {
        ArgumentNullException.ThrowIfNull(store);
        var clients = Enumerable.Range(0, count).Select(_ => ClientId.New()).ToList();
        await using var write = await store.OpenWriteTransactionAsync(EventMetadata.None);
        foreach (var client in clients) write.Session.Events.StartStream(client.Value, Involvement(client, InvolvementId.New(), SocialCare));
        (await write.CommitAsync(CancellationToken.None)).ShouldBeTrue();
        return clients;
    }

    /// <summary>Each caller finishes the involvement in hand (its 503s retried until answered otherwise), then stops.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        if (_running is not null) await _running;
    }

    /// <summary>Abandons whatever is in hand at once (a test that failed midway), retries included.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _abandon.CancelAsync();
        if (_running is not null) await _running.ContinueWith(_ => { }, TaskScheduler.Default);
        _stop.Dispose();
        _abandon.Dispose();
        _http.Dispose();
    }

    /// <summary>The partner's involvements on its own organisation's records, as the log holds them, by client.</summary>
    public static async Task<HashSet<Guid>> RecordedInTheLogAsync(EventStore.EventStore store, IEnumerable<ClientId> clients, OrganisationId organisation)
    {
        ArgumentNullException.ThrowIfNull(store);
        var recorded = new HashSet<Guid>();
        foreach (var client in clients)
        {
            foreach (var e in await StoredStreams.FetchAsync(store, client.Value))
            {
                if (e.Data is Core.Involvements.InvolvementRecorded involvement && involvement.By.Organisation == organisation) recorded.Add(involvement.Involvement.Value);
            }
        }
        return recorded;
    }

    private async Task CallAsync(int caller)
    {
        var mine = _clients[caller];
        // Staggered, so the callers' slots spread over the second rather than arriving together.
        var next = DateTime.UtcNow + Slot * caller / Callers;
        for (var n = 0; !_stop.IsCancellationRequested; n++)
        {
            if (next - DateTime.UtcNow is { Ticks: > 0 } early) await Task.Delay(early);
            next = DateTime.UtcNow + Slot;
            var client = mine[n % mine.Count];
            var involvement = Guid.CreateVersion7();
            var firstUnavailable = (DateTime?)null;
            for (var attempt = 1; !_abandon.IsCancellationRequested; attempt++)
            {
                var answer = await RecordAsync(client, involvement);
                _answers.Enqueue(answer);
                if (answer.Status == 503 && DateTime.UtcNow - (firstUnavailable ??= answer.AnsweredAt) < GiveUpAfter)
                {
                    await Task.Delay(PauseAfterUnavailable);
                    continue;
                }
                _written.Enqueue(new Written(involvement, client, answer.Status, attempt, answer.SentAt, answer.AnsweredAt));
                break;
            }
        }
    }

    private async Task<Answer> RecordAsync(ClientId client, Guid involvement)
    {
        var sent = DateTime.UtcNow;
        try
        {
            using var response = await _http.PostAsJsonAsync($"/api/v1/clients/{client.Value}/involvements", new
            {
                involvementId = involvement,
                role = "officer in the case",
                category = "general",
                start = Today.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                contact = new { phone = "01632 960321" },
            }, _abandon.Token);
            var status = (int)response.StatusCode;
            var body = status is >= 200 and < 300 ? null : await response.Content.ReadAsStringAsync();
            return new Answer(involvement, status, response.Headers.RetryAfter is not null, sent, DateTime.UtcNow, body);
        }
        catch (Exception failed) when (failed is HttpRequestException or TaskCanceledException)
        {
            return new Answer(involvement, 0, false, sent, DateTime.UtcNow, $"no answer: {failed.GetType().Name}: {failed.Message}");
        }
    }

    private static async Task<string> TokenAsync(Uri server, string clientId, string secret)
    {
        using var http = new HttpClient { BaseAddress = server };
        using var request = new HttpRequestMessage(HttpMethod.Post, TokenPaths.Token)
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials"), new("scope", PartnerScopes.InvolvementsWrite)]),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(clientId)}:{Uri.EscapeDataString(secret)}")));
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!;
    }
}
