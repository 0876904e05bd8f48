using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;
using Npgsql;
using Patchwork.Core;
using Patchwork.Server.Tests.SignIn;
using Patchwork.Server.Tokens;
using Patchwork.Testing;
using RabbitMQ.Client;

namespace Patchwork.Server.Tests.PartnerBus;

/// <summary>The sign-in host (on a virtual host of its own, as every such host is), with the broker's management API, as an organisation admin uses it.</summary>
public sealed class PartnerAdminServer : SignInServer, IAsyncLifetime
{
    public LogCapture Logs { get; } = new();

    protected override void AddSettings(Dictionary<string, string> settings)
    {
        settings["RabbitMq:ManagementUrl"] = LocalServers.RabbitManagementUrl.ToString();
        settings["RabbitMq:AdminUsername"] = LocalServers.RabbitAdminUsername;
        settings["RabbitMq:AdminPassword"] = LocalServers.RabbitAdminPassword;
        settings["PartnerBus:Relay"] = "false";
    }

    async Task IAsyncLifetime.InitializeAsync()
    {
        await InitializeAsync();
        Services.GetRequiredService<ILoggerFactory>().AddProvider(Logs);
    }

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync();
}

/// <summary>Every log line the host writes, with its exception, to search for what must never be logged; each line starts with its level and category.</summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public string All => string.Join('\n', _lines);

    public IReadOnlyList<string> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
    }
}

public sealed class PartnerSystemsApiTests(PartnerAdminServer server) : IClassFixture<PartnerAdminServer>
{
    private static string SystemsOf(OrganisationId organisation) => $"/api/v1/organisations/{organisation.Value}/partner-systems";

    [Fact]
    public async Task An_organisation_admin_registers_a_partner_system_whose_token_client_and_broker_user_work_until_revoked()
    {
        var organisation = OrganisationId.New();
        using var admin = await AdminOfAsync(organisation);

        var response = await admin.PostJsonAsync(SystemsOf(organisation), new
        {
            displayName = "Council case system",
            scopes = new[] { PartnerScopes.Read, PartnerScopes.InvolvementsWrite },
            clientSecret = true,
        });
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        response.Headers.CacheControl?.NoStore.ShouldBeTrue("credentials must not be cached");
        var registered = await response.Content.ReadFromJsonAsync<JsonElement>();
        var system = registered.GetProperty("partnerSystem");
        var clientId = system.GetProperty("clientId").GetString()!;
        var secret = registered.GetProperty("clientSecret").GetString()!;
        var broker = registered.GetProperty("broker");
        var brokerPassword = broker.GetProperty("password").GetString()!;
        system.GetProperty("organisationId").GetGuid().ShouldBe(organisation.Value);
        system.GetProperty("authentication").EnumerateArray().Select(a => a.GetString()).ShouldBe(["client_secret_basic"]);

        // The token endpoint knows the client, and its tokens act for the admin's organisation.
        var token = await TokenAsync(clientId, secret);
        var whoami = await WhoAmIAsync(token);
        whoami.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await whoami.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("organisationId").GetGuid().ShouldBe(organisation.Value);

        // The broker user exists, may read its own queue and publish to its own inbound exchange.
        var partner = new ConnectionFactory
        {
            HostName = server.Broker.Host, Port = server.Broker.Port, VirtualHost = broker.GetProperty("virtualHost").GetString()!,
            UserName = broker.GetProperty("username").GetString()!, Password = brokerPassword,
        };
        await using (var connection = await partner.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true)))
        {
            (await channel.QueueDeclarePassiveAsync(broker.GetProperty("noticeQueue").GetString()!)).ShouldNotBeNull();
            await channel.BasicPublishAsync(broker.GetProperty("inboundExchange").GetString()!, "", true, new BasicProperties(), "{}"u8.ToArray());
        }

        // The list shows the system and no secret of any kind.
        var listed = await admin.Http.GetStringAsync(SystemsOf(organisation));
        listed.ShouldContain(clientId);
        listed.ShouldNotContain(secret);
        listed.ShouldNotContain(brokerPassword);

        var revoked = await admin.PostJsonAsync($"{SystemsOf(organisation)}/{clientId}/revoke", null);
        revoked.StatusCode.ShouldBe(HttpStatusCode.NoContent, await revoked.Content.ReadAsStringAsync());

        (await RequestTokenAsync(clientId, secret)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized, "a revoked client gets no token");
        (await WhoAmIAsync(token)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized, "a revoked client's tokens stop working");
        await Should.ThrowAsync<RabbitMQ.Client.Exceptions.BrokerUnreachableException>(async () => await partner.CreateConnectionAsync());
        (await admin.Http.GetFromJsonAsync<JsonElement>(SystemsOf(organisation)))[0].GetProperty("disabled").GetBoolean().ShouldBeTrue();

        server.Logs.All.ShouldNotContain(secret, customMessage: "the client secret was logged");
        server.Logs.All.ShouldNotContain(brokerPassword, customMessage: "the broker password was logged");
        (await AuditAsync(organisation)).ShouldBe(["partner-system.register:allowed", "partner-system.list:allowed", "partner-system.revoke:allowed", "partner-system.list:allowed"]);
    }

    [Fact]
    public async Task A_public_key_registers_the_client_for_private_key_jwt_only()
    {
        var organisation = OrganisationId.New();
        using var admin = await AdminOfAsync(organisation);
        var point = ECDsa.Create(ECCurve.NamedCurves.nistP256).ExportParameters(false).Q;

        var response = await admin.PostJsonAsync(SystemsOf(organisation), new
        {
            displayName = "Trust EPR",
            scopes = new[] { PartnerScopes.Read },
            publicJwk = new { kty = "EC", crv = "P-256", x = Base64UrlEncoder.Encode(point.X!), y = Base64UrlEncoder.Encode(point.Y!), kid = "trust-2026" },
        });
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var registered = await response.Content.ReadFromJsonAsync<JsonElement>();
        registered.GetProperty("clientSecret").ValueKind.ShouldBe(JsonValueKind.Null);
        var system = registered.GetProperty("partnerSystem");
        system.GetProperty("authentication").EnumerateArray().Select(a => a.GetString()).ShouldBe(["private_key_jwt"]);
        system.GetProperty("keyIds").EnumerateArray().Select(a => a.GetString()).ShouldBe(["trust-2026"]);
        var client = await server.Services.GetRequiredService<IPartnerClientDirectory>()
            .FindAsync(new PartnerSystemId(system.GetProperty("partnerSystemId").GetGuid()), default);
        client.ShouldNotBeNull().PublicKeys.ShouldHaveSingleItem().Kid.ShouldBe("trust-2026");
        client.HasSecret.ShouldBeFalse();
    }

    [Fact]
    public async Task Another_organisations_admin_and_a_practitioner_are_refused_and_audited()
    {
        var organisation = OrganisationId.New();
        using var admin = await AdminOfAsync(organisation);
        var created = await (await admin.PostJsonAsync(SystemsOf(organisation), new { displayName = "Ours", scopes = new[] { PartnerScopes.Read }, clientSecret = true }))
            .Content.ReadFromJsonAsync<JsonElement>();
        var ours = created.GetProperty("partnerSystem").GetProperty("clientId").GetString();

        var elsewhere = OrganisationId.New();
        using var otherAdmin = await AdminOfAsync(elsewhere);
        using var practitioner = await SignedInAsync(Roles.Practitioner | Roles.Manager, organisation);
        foreach (var (who, browser) in new[] { ("another organisation's admin", otherAdmin), ("a practitioner of the organisation", practitioner) })
        {
            (await browser.PostJsonAsync(SystemsOf(organisation), new { displayName = "Theirs", scopes = new[] { PartnerScopes.Read }, clientSecret = true }))
                .StatusCode.ShouldBe(HttpStatusCode.Forbidden, who);
            (await browser.Http.GetAsync(SystemsOf(organisation))).StatusCode.ShouldBe(HttpStatusCode.Forbidden, who);
            (await browser.PostJsonAsync($"{SystemsOf(organisation)}/{ours}/revoke", null)).StatusCode.ShouldBe(HttpStatusCode.Forbidden, who);
        }
        // Through their own organisation's path, another organisation's system does not exist.
        (await otherAdmin.PostJsonAsync($"{SystemsOf(elsewhere)}/{ours}/revoke", null)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        using (var anonymous = server.NewBrowser())
            (await anonymous.Http.GetAsync(SystemsOf(organisation))).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        var systems = await admin.Http.GetFromJsonAsync<JsonElement>(SystemsOf(organisation));
        systems.GetArrayLength().ShouldBe(1, "nothing was registered by the refused callers");
        systems[0].GetProperty("disabled").GetBoolean().ShouldBeFalse("nothing was revoked by the refused callers");
        (await AuditAsync(organisation)).Count(e => e.EndsWith(":denied", StringComparison.Ordinal)).ShouldBe(3, "the practitioner's three refusals");
        (await AuditAsync(elsewhere)).Count(e => e.EndsWith(":denied", StringComparison.Ordinal)).ShouldBe(4, "the other admin's three refusals and the 404");
    }

    [Theory]
    [InlineData("""{"scopes":["partner.read"],"clientSecret":true}""", "displayName")]
    [InlineData("""{"displayName":"x","scopes":["partner.everything"],"clientSecret":true}""", "scopes")]
    [InlineData("""{"displayName":"x","clientSecret":true}""", "scopes")]
    [InlineData("""{"displayName":"x","scopes":["partner.read"]}""", "publicJwk")]
    [InlineData("""{"displayName":"x","scopes":["partner.read"],"publicJwk":"not an object"}""", "publicJwk")]
    [InlineData("""{"displayName":"x","scopes":["partner.read"],"publicJwk":{"kty":"oct","k":"c2VjcmV0"}}""", "publicJwk")]
    [InlineData("""{"displayName":"x","scopes":["partner.read"],"publicJwk":{"kty":"RSA","n":"AQAB","e":"AQAB"}}""", "publicJwk")]
    [InlineData("""{"displayName":"x","scopes":"partner.read","clientSecret":true}""", "scopes")]
    public async Task Bad_registrations_are_problems_naming_the_field_and_register_nothing(string body, string field)
    {
        var organisation = OrganisationId.New();
        using var admin = await AdminOfAsync(organisation);
        using var request = new HttpRequestMessage(HttpMethod.Post, SystemsOf(organisation)) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("RequestVerificationToken", await admin.AntiforgeryTokenAsync());
        var response = await admin.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, text);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
        text.ShouldContain(field, Case.Insensitive);
        (await admin.Http.GetFromJsonAsync<JsonElement>(SystemsOf(organisation))).GetArrayLength().ShouldBe(0);
    }

    [Fact]
    public async Task A_registration_with_an_Idempotency_Key_never_stores_the_credentials_and_a_retry_is_409_not_a_second_system()
    {
        var organisation = OrganisationId.New();
        using var admin = await AdminOfAsync(organisation);
        var key = "register-" + Guid.NewGuid();
        async Task<HttpResponseMessage> RegisterAsync()
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, SystemsOf(organisation))
            {
                Content = JsonContent.Create(new { displayName = "Council case system", scopes = new[] { PartnerScopes.Read }, clientSecret = true }),
            };
            request.Headers.Add("RequestVerificationToken", await admin.AntiforgeryTokenAsync());
            request.Headers.Add("Idempotency-Key", key);
            return await admin.Http.SendAsync(request);
        }

        var first = await RegisterAsync();
        first.StatusCode.ShouldBe(HttpStatusCode.Created, await first.Content.ReadAsStringAsync());
        first.Headers.CacheControl.ShouldNotBeNull().NoStore.ShouldBeTrue();
        var registered = await first.Content.ReadFromJsonAsync<JsonElement>();
        var secret = registered.GetProperty("clientSecret").GetString()!;
        var brokerPassword = registered.GetProperty("broker").GetProperty("password").GetString()!;

        var everything = string.Join('\n', await DatabaseScan.EveryRowAsTextAsync(LocalServers.PostgresOwner, server.SchemaName));
        everything.ShouldNotContain(secret, customMessage: "the client secret is stored nowhere in plaintext, the idempotency keys included");
        everything.ShouldNotContain(brokerPassword, customMessage: "nor the broker password");

        var retry = await RegisterAsync();
        retry.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        retry.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
        retry.Headers.CacheControl.ShouldNotBeNull().NoStore.ShouldBeTrue();
        retry.Headers.Location.ShouldBe(first.Headers.Location, "the retry learns where the system it made is");
        var problem = await retry.Content.ReadAsStringAsync();
        problem.ShouldContain("credentials");
        problem.ShouldNotContain(secret);
        (await admin.Http.GetFromJsonAsync<JsonElement>(SystemsOf(organisation))).GetArrayLength().ShouldBe(1, "the retry registered nothing");
    }

    private async Task<Browser> AdminOfAsync(OrganisationId organisation) => await SignedInAsync(Roles.Practitioner | Roles.OrganisationAdmin, organisation);

    private async Task<Browser> SignedInAsync(Roles roles, OrganisationId organisation)
    {
        var account = await server.GivenAccountAsync(roles, organisation);
        return (await server.EnrolledAsync(account)).Browser;
    }

    private async Task<HttpResponseMessage> RequestTokenAsync(string clientId, string secret)
    {
        using var http = server.NewBrowser();
        using var request = new HttpRequestMessage(HttpMethod.Post, TokenPaths.Token)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{clientId}:{secret}")));
        return await http.Http.SendAsync(request);
    }

    private async Task<string> TokenAsync(string clientId, string secret)
    {
        var response = await RequestTokenAsync(clientId, secret);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!;
    }

    private async Task<HttpResponseMessage> WhoAmIAsync(string token)
    {
        using var http = server.NewBrowser();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/partner/whoami");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await http.Http.SendAsync(request);
    }

    private async Task<List<string>> AuditAsync(OrganisationId organisation)
    {
        await using var connection = new NpgsqlConnection(LocalServers.PostgresOwner);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"SELECT action || ':' || outcome FROM \"{server.SchemaName}\".audit_entries WHERE organisation_id = @organisation AND action LIKE 'partner-system.%' ORDER BY id", connection);
        command.Parameters.AddWithValue("organisation", organisation.Value);
        var entries = new List<string>();
        await using var rows = await command.ExecuteReaderAsync();
        while (await rows.ReadAsync()) entries.Add(rows.GetString(0));
        return entries;
    }
}
