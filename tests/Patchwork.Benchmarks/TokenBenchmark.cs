using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using Patchwork.Core;
using Patchwork.Server.Tokens;
using Patchwork.Testing;

namespace Patchwork.Benchmarks;

/// <summary>
/// T1: the partner token endpoint over real loopback HTTP, 16 callers, private_key_jwt (a fresh ES256 assertion per
/// request) and client_secret_basic: throughput, then p50/p99 at 50 requests/s (goal p99 ≤ 100 ms). Then what the API
/// pays per request to refuse revoked tokens: the token-row read it does (option A, OpenIddict's token entry) beside a
/// read of the application's state (option B), each timed in-process from 16 callers.
/// </summary>
internal static class TokenBenchmark
{
    private const int Callers = 16;
    private const double Rate = 50;
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan OpenLoopWindow = TimeSpan.FromSeconds(10);

    public static async Task RunAsync()
    {
        var schema = "bench_" + Guid.NewGuid().ToString("N")[..8];
        var broker = new RabbitVirtualHost();
        await broker.InitializeAsync();
        var server = new TokenServerHost(schema, broker.Name);
        var http = server.Start();
        try
        {
            Console.WriteLine($"T1: {Environment.ProcessorCount} cores; {Callers} callers; saturation {Window.TotalSeconds:0} s, open loop {Rate:0} req/s for {OpenLoopWindow.TotalSeconds:0} s");
            var directory = server.Services.GetRequiredService<IPartnerClientDirectory>();
            var partners = await Task.WhenAll(Enumerable.Range(0, Callers).Select(async _ =>
            {
                var key = new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = "bench-" + Guid.NewGuid().ToString("N")[..8] };
                var q = key.ECDsa.ExportParameters(false).Q;
                var jwk = new JsonObject { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = Base64UrlEncoder.Encode(q.X!), ["y"] = Base64UrlEncoder.Encode(q.Y!), ["kid"] = key.KeyId };
                var client = await directory.RegisterAsync(new PartnerClientRegistration(PartnerSystemId.New(), OrganisationId.New(), "Bench", [PartnerScopes.Read], jwk.ToJsonString()), default);
                var secret = await directory.IssueSecretAsync(client.ClientId, default);
                return new BenchPartner(client.OAuthClientId, key, secret);
            }));
            var issuer = server.Services.GetRequiredService<TokenOptions>().IssuerIdentifier;

            foreach (var (name, request) in new (string, Func<BenchPartner, HttpRequestMessage>)[]
                     {
                         ("private_key_jwt", partner => AssertionRequest(partner, issuer)),
                         ("client_secret_basic", SecretRequest),
                     })
            {
                await SaturateAsync(http, partners, request, TimeSpan.FromSeconds(1));
                var rate = await SaturateAsync(http, partners, request, Window);
                var latencies = await OpenLoopAsync(http, partners, request);
                latencies.Sort();
                double Percentile(double p) => latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(p * latencies.Count) - 1)];
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"T1 {name,-20} {rate,8:N0} req/s saturated | at {Rate:0} req/s ({latencies.Count:N0} requests): p50 {Percentile(0.5):0.0} ms, p99 {Percentile(0.99):0.0} ms, max {latencies[^1]:0.0} ms (goal p99 ≤ 100 ms) → {(Percentile(0.99) <= 100 ? "meets" : "MISSES")}"));
            }

            // The API's per-request check, both candidates, on live rows of the same database.
            var token = await TokenAsync(http, partners[0], issuer);
            var entry = new JsonWebToken(token).GetClaim("oi_tkn_id").Value;
            using var whoami = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Callers * 2 }) { BaseAddress = http.BaseAddress };
            whoami.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            await SaturateAsync(whoami, partners, _ => new HttpRequestMessage(HttpMethod.Get, "/api/v1/partner/whoami"), TimeSpan.FromSeconds(1));
            var api = await SaturateAsync(whoami, partners, _ => new HttpRequestMessage(HttpMethod.Get, "/api/v1/partner/whoami"), Window);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"T1 API whoami with token-row check {api,8:N0} req/s saturated ({Callers} callers)"));
            var optionA = await CheckCostAsync(server.Services, async scope =>
            {
                var tokens = scope.GetRequiredService<IOpenIddictTokenManager>();
                var row = await tokens.FindByIdAsync(entry);
                return row is not null && await tokens.HasStatusAsync(row, OpenIddictConstants.Statuses.Valid);
            });
            var optionB = await CheckCostAsync(server.Services, async scope =>
            {
                var applications = scope.GetRequiredService<IOpenIddictApplicationManager>();
                var application = await applications.FindByClientIdAsync(partners[0].ClientId);
                if (application is null) return false;
                var properties = await applications.GetPropertiesAsync(application);
                return !(properties.TryGetValue("patchwork_disabled", out var disabled) && disabled.ValueKind == JsonValueKind.True);
            });
            // What the API does: the same row as A, by primary key on the application's pool, without EF Core.
            var optionC = await CheckCostAsync(server.Services, scope => scope.GetRequiredService<TokenLiveness>().IsValidAsync(entry, CancellationToken.None));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"T1 live-token check, {Callers} callers: A token row through OpenIddict's manager {optionA.PerSecond,8:N0}/s, mean {optionA.MeanMs:0.00} ms | B application state {optionB.PerSecond,8:N0}/s, mean {optionB.MeanMs:0.00} ms | C token row by primary key (the API's) {optionC.PerSecond,8:N0}/s, mean {optionC.MeanMs:0.00} ms"));
        }
        finally
        {
            http.Dispose();
            await server.DisposeAsync();
            await broker.DisposeAsync();
            await Sql.AsOwnerAsync($"""DROP SCHEMA IF EXISTS "{schema}" CASCADE""");
        }
    }

    private sealed record BenchPartner(string ClientId, ECDsaSecurityKey Key, string Secret);

    private static HttpRequestMessage AssertionRequest(BenchPartner partner, string issuer) => new(HttpMethod.Post, TokenPaths.Token)
    {
        Content = new FormUrlEncodedContent(
        [
            new("grant_type", "client_credentials"),
            new("client_assertion_type", ClientAssertions.AssertionType),
            new("client_assertion", new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
            {
                TokenType = ClientAssertions.TokenType,
                Issuer = partner.ClientId,
                Audience = issuer,
                Expires = DateTime.UtcNow.AddMinutes(1),
                Claims = new Dictionary<string, object> { ["sub"] = partner.ClientId, ["jti"] = Guid.NewGuid().ToString() },
                SigningCredentials = new SigningCredentials(partner.Key, SecurityAlgorithms.EcdsaSha256),
            })),
        ]),
    };

    private static HttpRequestMessage SecretRequest(BenchPartner partner)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, TokenPaths.Token) { Content = new FormUrlEncodedContent([new("grant_type", "client_credentials")]) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{partner.ClientId}:{partner.Secret}")));
        return request;
    }

    private static async Task<string> TokenAsync(HttpClient http, BenchPartner partner, string issuer)
    {
        using var response = await http.SendAsync(AssertionRequest(partner, issuer));
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"No token: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!;
    }

    private static async Task SendAsync(HttpClient http, HttpRequestMessage request)
    {
        using (request)
        using (var response = await http.SendAsync(request))
        {
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    private static async Task<double> SaturateAsync(HttpClient http, BenchPartner[] partners, Func<BenchPartner, HttpRequestMessage> request, TimeSpan window)
    {
        var started = Stopwatch.GetTimestamp();
        var until = started + (long)(window.TotalSeconds * Stopwatch.Frequency);
        var done = await Task.WhenAll(Enumerable.Range(0, Callers).Select(caller => Task.Run(async () =>
        {
            long sent = 0;
            for (; Stopwatch.GetTimestamp() < until; sent++) await SendAsync(http, request(partners[caller]));
            return sent;
        })));
        return done.Sum() / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    private static async Task<List<double>> OpenLoopAsync(HttpClient http, BenchPartner[] partners, Func<BenchPartner, HttpRequestMessage> request)
    {
        var perCaller = Rate / Callers;
        var started = Stopwatch.GetTimestamp();
        var latencies = await Task.WhenAll(Enumerable.Range(0, Callers).Select(caller => Task.Run(async () =>
        {
            var mine = new List<double>();
            var due = started + (long)(Stopwatch.Frequency * (caller / Rate));
            var interval = (long)(Stopwatch.Frequency / perCaller);
            var end = started + (long)(OpenLoopWindow.TotalSeconds * Stopwatch.Frequency);
            for (; due < end; due += interval)
            {
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                if (wait > TimeSpan.Zero) await Task.Delay(wait);
                await SendAsync(http, request(partners[caller]));
                mine.Add(Stopwatch.GetElapsedTime(due).TotalMilliseconds);
            }
            return mine;
        })));
        return latencies.SelectMany(l => l).ToList();
    }

    private static async Task<(double PerSecond, double MeanMs)> CheckCostAsync(IServiceProvider services, Func<IServiceProvider, Task<bool>> check)
    {
        async Task<long> RunAsync(TimeSpan window)
        {
            var until = Stopwatch.GetTimestamp() + (long)(window.TotalSeconds * Stopwatch.Frequency);
            var counts = await Task.WhenAll(Enumerable.Range(0, Callers).Select(_ => Task.Run(async () =>
            {
                long n = 0;
                for (; Stopwatch.GetTimestamp() < until; n++)
                {
                    await using var scope = services.CreateAsyncScope();
                    if (!await check(scope.ServiceProvider)) throw new InvalidOperationException("The check refused a live token.");
                }
                return n;
            })));
            return counts.Sum();
        }
        await RunAsync(TimeSpan.FromSeconds(1));
        var started = Stopwatch.GetTimestamp();
        var total = await RunAsync(Window);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return (total / seconds, Callers * seconds * 1000 / total);
    }

    private sealed class TokenServerHost(string schema, string virtualHost) : WebApplicationFactory<Program>
    {
        public HttpClient Start()
        {
            var root = new DirectoryInfo(AppContext.BaseDirectory);
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "Patchwork.sln"))) root = root.Parent;
            Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_PATCHWORK_SERVER",
                Path.Combine(root?.FullName ?? throw new InvalidOperationException("Run the benchmarks from the repository."), "services", "Patchwork.Server"));
            UseKestrel(0);
            StartServer();
            var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Callers * 2 }) { BaseAddress = new Uri(address) };
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("ConnectionStrings:Patchwork", LocalServers.PostgresApp)
                .UseSetting("ConnectionStrings:PatchworkOwner", LocalServers.PostgresOwner)
                .UseSetting("EventStore:Schema", schema)
                .UseSetting("PersonalData:BlindIndexKey", LocalServers.Get("PersonalData__BlindIndexKey"))
                .UseSetting("PersonalData:KeyRingCertificatePath", LocalServers.Get("PersonalData__KeyRingCertificatePath"))
                .UseSetting("PersonalData:KeyRingCertificatePassword", LocalServers.Get("PersonalData__KeyRingCertificatePassword"))
                .UseSetting("Policy:MaskingKey", LocalServers.Get("Policy__MaskingKey"))
                .UseSetting("RabbitMq:Host", LocalServers.RabbitHost)
                .UseSetting("RabbitMq:Port", LocalServers.RabbitPort.ToString(CultureInfo.InvariantCulture))
                .UseSetting("RabbitMq:VirtualHost", virtualHost)
                .UseSetting("RabbitMq:Username", LocalServers.RabbitUsername)
                .UseSetting("RabbitMq:Password", LocalServers.RabbitPassword)
                // T1 measures the endpoint, not its rate limit.
                .UseSetting("Tokens:TokenRequestsPerWindow", "100000000")
                .UseSetting("Logging:LogLevel:Default", "Warning");
        }
    }
}
