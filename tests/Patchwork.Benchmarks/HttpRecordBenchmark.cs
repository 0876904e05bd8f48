using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Patchwork.Core;
using Patchwork.EventStore;
using Patchwork.Server.PartnerBus;
using Patchwork.Server.Tokens;
using Patchwork.Testing;

namespace Patchwork.Benchmarks;

/// <summary>
/// P2 (DESIGN.md §7): a partner system records involvements over real loopback HTTP — bearer token validation, the
/// access policy, JSON, the append with its inline projections and the audit entry — from 32 concurrent callers,
/// beside P1's raw baseline (32 writers of plain single-row INSERTs) measured in the same run against the same
/// database. Then the latency at half the measured rate, sent open-loop on a fixed schedule so a slow response cannot
/// hold back the next request (each latency counts from when the request was due, not when it was sent). Two context lines
/// bound it from below: the host answering only /health/live, and a bare host that commits one raw row per request.
/// </summary>
internal static class HttpRecordBenchmark
{
    private const int Callers = 32;
    private const int ClientsPerCaller = 40;
    private const int Rounds = 3;
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan HalfLoadWindow = TimeSpan.FromSeconds(10);

    public static async Task RunAsync()
    {
        var schema = "bench_" + Guid.NewGuid().ToString("N")[..8];
        var broker = new RabbitVirtualHost();
        await broker.InitializeAsync();
        await using var server = new BenchServer(schema, broker.Name);
        var http = server.Start();
        try
        {
            await using var store = EventStore.EventStore.Create(new EventStoreOptions { Schema = schema, ConnectionString = LocalServers.PostgresApp });
            var durability = await Sql.RequireDurableAsync(store.DataSource);
            Console.WriteLine($"P2: PostgreSQL durability: {durability}; {Environment.ProcessorCount} cores; {Rounds} rounds of {Window.TotalSeconds:0} s each, best round reported");
            await Sql.AsOwnerAsync(Appends.RawTable(schema, new Npgsql.NpgsqlConnectionStringBuilder(LocalServers.PostgresApp).Username!));

            var token = await server.PartnerTokenAsync(http);
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            var clients = await RegisterClientsAsync(http);
            var raw = new Appends(store, schema, writers: Callers, eventsPerAppend: 1);

            // Issue 21's baseline for P2: the same body over loopback HTTP into a bare host that makes one Marten append (a
            // new stream, Quick mode, the product's Marten configuration) and nothing else: no token, policy, projection,
            // audit or relay. Its rounds are interleaved with P2's, so drift in the machine's load hits both alike.
            var bareOptions = new EventStoreOptions { Schema = schema, ConnectionString = LocalServers.PostgresApp };
            bareOptions.Events.Register<InvolvementNoted>();
            await using var bareStore = EventStore.EventStore.Create(bareOptions);
            await using var skeleton = await StartSkeletonAsync(bareStore.Marten);
            using var least = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Callers * 2 }) { BaseAddress = skeleton.Address };
            least.DefaultRequestHeaders.Authorization = http.DefaultRequestHeaders.Authorization;

            // Warm every path (JIT, connection pools, prepared statements) before anything is timed.
            await raw.RawAsync(TimeSpan.FromSeconds(1));
            await SaturateAsync(http, clients, TimeSpan.FromSeconds(2));
            await SaturateAsync(least, clients, TimeSpan.FromSeconds(1));
            var (bestRaw, bestHttp, bestLeast) = (0d, 0d, 0d);
            for (var round = 0; round < Rounds; round++)
            {
                bestRaw = Math.Max(bestRaw, await raw.RawAsync(Window));
                bestHttp = Math.Max(bestHttp, await SaturateAsync(http, clients, Window));
                bestLeast = Math.Max(bestLeast, await SaturateAsync(least, clients, Window));
            }
            var ratio = bestHttp / bestLeast;
            // Where the rest goes: the same 32 callers asking the host only whether it is alive (no token, no database).
            using var bare = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Callers * 2 }) { BaseAddress = http.BaseAddress };
            await SaturateAsync(bare, clients, TimeSpan.FromSeconds(1), (client, _) => LiveAsync(client));
            var floor = await SaturateAsync(bare, clients, Window, (client, _) => LiveAsync(client));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{"P2 context: GET /health/live",-34} {floor,10:N0} req/s   | the same host, callers and loopback HTTP with no token, policy or database: the HTTP floor"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{"P2 context: raw single-row INSERT",-34} {bestRaw,10:N0} rows/s  | 32 writers of plain INSERTs (P1's baseline); HTTP + one Marten append reaches {bestLeast / bestRaw:0.00} of it, P2 {bestHttp / bestRaw:0.00}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{"P2 record over HTTP, 32 callers",-34} {bestHttp,10:N0} req/s   | HTTP + one Marten append {bestLeast,10:N0} req/s | ratio {ratio:0.00} (goal ≥ 0.50) → {(ratio >= 0.5 ? "meets" : "MISSES")}"));

            var rate = bestHttp / 2;
            var latencies = await OpenLoopAsync(http, clients, rate, HalfLoadWindow);
            latencies.Sort();
            double Percentile(double p) => latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(p * latencies.Count) - 1)];
            var p99 = Percentile(0.99);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{"P2 at half load",-34} {rate,10:N0} req/s for {HalfLoadWindow.TotalSeconds:0} s ({latencies.Count:N0} requests): p50 {Percentile(0.5):0.0} ms, p99 {p99:0.0} ms, max {latencies[^1]:0.0} ms (goal p99 ≤ 25 ms) → {(p99 <= 25 ? "meets" : "MISSES")}"));
        }
        finally
        {
            await server.DisposeAsync();
            await broker.DisposeAsync();
            await Sql.AsOwnerAsync($"""DROP SCHEMA IF EXISTS "{schema}" CASCADE""");
        }
    }

    /// <summary>Each caller gets clients of its own, so appends spread over many streams as they do in use.</summary>
    private static async Task<Guid[][]> RegisterClientsAsync(HttpClient http)
    {
        var registered = await Task.WhenAll(Enumerable.Range(0, Callers).Select(caller => Task.Run(async () =>
        {
            var mine = new Guid[ClientsPerCaller];
            for (var i = 0; i < ClientsPerCaller; i++)
            {
                using var response = await http.PostAsJsonAsync("/api/v1/clients", new
                {
                    givenNames = "Bench",
                    familyName = string.Create(CultureInfo.InvariantCulture, $"Caller{caller}Client{i}"),
                    dateOfBirth = "2011-03-04",
                    candidatesSeen = true,
                });
                var body = await response.Content.ReadAsStringAsync();
                if (response.StatusCode != HttpStatusCode.Created) throw new InvalidOperationException($"Registering a benchmark client failed: {(int)response.StatusCode} {body}");
                mine[i] = JsonDocument.Parse(body).RootElement.GetProperty("clientId").GetGuid();
            }
            return mine;
        })));
        return registered;
    }

    private static async Task<double> SaturateAsync(HttpClient http, Guid[][] clients, TimeSpan window, Func<HttpClient, Guid, Task>? send = null)
    {
        send ??= RecordAsync;
        var started = Stopwatch.GetTimestamp();
        var until = started + (long)(window.TotalSeconds * Stopwatch.Frequency);
        var done = await Task.WhenAll(Enumerable.Range(0, Callers).Select(caller => Task.Run(async () =>
        {
            long recorded = 0;
            while (Stopwatch.GetTimestamp() < until)
            {
                await send(http, clients[caller][recorded % ClientsPerCaller]);
                recorded++;
            }
            return recorded;
        })));
        return done.Sum() / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    private static async Task<List<double>> OpenLoopAsync(HttpClient http, Guid[][] clients, double rate, TimeSpan window)
    {
        var perCaller = rate / Callers;
        var started = Stopwatch.GetTimestamp();
        var latencies = await Task.WhenAll(Enumerable.Range(0, Callers).Select(caller => Task.Run(async () =>
        {
            var mine = new List<double>();
            var due = started + (long)(Stopwatch.Frequency * (caller / rate));
            var interval = (long)(Stopwatch.Frequency / perCaller);
            var end = started + (long)(window.TotalSeconds * Stopwatch.Frequency);
            for (var n = 0; due < end; n++, due += interval)
            {
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                if (wait > TimeSpan.Zero) await Task.Delay(wait);
                await RecordAsync(http, clients[caller][n % ClientsPerCaller]);
                mine.Add(Stopwatch.GetElapsedTime(due).TotalMilliseconds);
            }
            return mine;
        })));
        return latencies.SelectMany(l => l).ToList();
    }

    private static async Task LiveAsync(HttpClient http)
    {
        using var response = await http.GetAsync("/health/live");
        if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"/health/live answered {(int)response.StatusCode}");
    }

    private static async Task RecordAsync(HttpClient http, Guid client)
    {
        using var response = await http.PostAsJsonAsync($"/api/v1/clients/{client}/involvements", new
        {
            role = "Duty social worker",
            category = "general",
            start = "2026-11-02",
            contact = new { phone = "01632 960001", email = "duty@wessex.example" },
        });
        if (response.StatusCode != HttpStatusCode.Created)
            throw new InvalidOperationException($"Recording failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>
    /// The least any implementation of P2 must do: the same JSON body over loopback HTTP, bound and answered with 201, and the
    /// raw baseline's single-row INSERT committed per request; no token validation, policy, projections, audit or relay.
    /// </summary>
    private static async Task<Skeleton> StartSkeletonAsync(Marten.IDocumentStore marten)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapPost("/api/v1/clients/{clientId}/involvements", async (Guid clientId, SkeletonRecord body) =>
        {
            var noted = new InvolvementNoted(Guid.CreateVersion7(), clientId, Guid.CreateVersion7(), Guid.CreateVersion7(), body.Role ?? "",
                body.Category ?? "general", body.Start ?? default);
            await using (var session = marten.LightweightSession())
            {
                session.Events.StartStream(Guid.CreateVersion7(), noted);
                await session.SaveChangesAsync();
            }
            return TypedResults.Created($"/api/v1/clients/{clientId}/involvements/{noted.Involvement}", new SkeletonRecorded(noted.Involvement));
        });
        await app.StartAsync();
        return new Skeleton(app, new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()));
    }

    private sealed record SkeletonRecord(string? Role, string? Category, DateOnly? Start, JsonElement? Contact);

    private sealed record SkeletonRecorded(Guid InvolvementId);

    private sealed record Skeleton(WebApplication App, Uri Address) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => App.DisposeAsync();
    }

    /// <summary>The real host on a loopback port, in a schema of its own, with request logging off so it does not time the console.</summary>
    private sealed class BenchServer(string schema, string virtualHost) : WebApplicationFactory<Program>
    {
        private readonly OrganisationId _organisation = new(Guid.CreateVersion7());

        public HttpClient Start()
        {
            // The factory looks for the server's content root beside the solution; here it lives under services/.
            var root = new DirectoryInfo(AppContext.BaseDirectory);
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "Patchwork.sln"))) root = root.Parent;
            Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_PATCHWORK_SERVER",
                Path.Combine(root?.FullName ?? throw new InvalidOperationException("Run the benchmarks from the repository."), "services", "Patchwork.Server"));
            UseKestrel(0);
            StartServer();
            var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Callers * 2 }) { BaseAddress = new Uri(address) };
        }

        public async Task<string> PartnerTokenAsync(HttpClient http)
        {
            var directory = Services.GetRequiredService<IPartnerClientDirectory>();
            var client = await directory.RegisterAsync(
                new PartnerClientRegistration(PartnerSystemId.New(), _organisation, "Benchmark partner", [PartnerScopes.InvolvementsWrite]), CancellationToken.None);
            var secret = await directory.IssueSecretAsync(client.ClientId, CancellationToken.None);
            // The partner's exchange and queue exist, as for a registered partner, so the relay's notices have somewhere to go.
            using var management = PartnerBrokerTopology.ManagementClient(LocalServers.RabbitManagementUrl, LocalServers.RabbitAdminUsername, LocalServers.RabbitAdminPassword);
            await new PartnerBrokerTopology(management, virtualHost).ProvisionAsync(client.ClientId.Value, _organisation.Value, CancellationToken.None);
            using var request = new HttpRequestMessage(HttpMethod.Post, TokenPaths.Token)
            {
                Content = new FormUrlEncodedContent([new("grant_type", "client_credentials"), new("scope", PartnerScopes.InvolvementsWrite)]),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(client.OAuthClientId)}:{Uri.EscapeDataString(secret)}")));
            using var response = await http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"No benchmark token: {body}");
            return JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!;
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("ConnectionStrings:Patchwork", LocalServers.PostgresApp)
                .UseSetting("ConnectionStrings:PatchworkOwner", LocalServers.PostgresOwner)
                .UseSetting("EventStore:Schema", schema)
                .UseSetting("Tokens:Schema", schema)
                .UseSetting("PersonalData:BlindIndexKey", LocalServers.Get("PersonalData__BlindIndexKey"))
                .UseSetting("PersonalData:KeyRingCertificatePath", LocalServers.Get("PersonalData__KeyRingCertificatePath"))
                .UseSetting("PersonalData:KeyRingCertificatePassword", LocalServers.Get("PersonalData__KeyRingCertificatePassword"))
                // Registering the benchmark's 1,280 clients is not what P2 measures: the search and registration limit is lifted.
                .UseSetting("Api:SearchesPerMinute", "1000000")
                .UseSetting("Policy:MaskingKey", LocalServers.Get("Policy__MaskingKey"))
                .UseSetting("RabbitMq:Host", LocalServers.RabbitHost)
                .UseSetting("RabbitMq:Port", LocalServers.RabbitPort.ToString(CultureInfo.InvariantCulture))
                .UseSetting("RabbitMq:VirtualHost", virtualHost)
                .UseSetting("RabbitMq:Username", LocalServers.RabbitUsername)
                .UseSetting("RabbitMq:Password", LocalServers.RabbitPassword)
                .UseSetting("Logging:LogLevel:Default", "Warning");
        }
    }
}
