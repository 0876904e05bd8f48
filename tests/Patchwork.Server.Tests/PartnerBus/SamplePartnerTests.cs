using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Patchwork.Core;
using Patchwork.Core.Clients;
using Patchwork.SamplePartner;
using Patchwork.Server.Api.Audit;
using Patchwork.Server.Demo;
using Patchwork.Server.Tests.Tokens;
using Patchwork.Server.Tokens;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.PartnerBus;

/// <summary>
/// The whole server — demo county, identity vault, relay, inbound consumers, token server — on a schema and a virtual
/// host of its own, with the demo's partner system registered into a folder of its own, as <c>./patchwork run</c> does.
/// </summary>
public sealed class SamplePartnerServer : IAsyncLifetime
{
    private readonly PostgresSchema _schema = new();
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("patchwork-sample-partner-");
    private WebApplicationFactory<Program>? _factory;

    public RabbitVirtualHost Broker { get; } = new();

    public LogCapture Logs { get; } = new();

    public IServiceProvider Services => _factory!.Services;

    public string SchemaName => _schema.Name;

    /// <summary>What the demo wrote for <c>./patchwork partner-sample</c>: the registration, and beside it the private key.</summary>
    public string RegistrationFile => Path.Combine(_folder.FullName, "demo-partner.json");

    public string KeyFile => Path.Combine(_folder.FullName, "demo-partner.key.pem");

    /// <summary>An HTTP client of the test host (the issuer is its default, http://localhost), its requests passing through <paramref name="handlers"/>.</summary>
    public HttpClient Http(params DelegatingHandler[] handlers) => _factory!.CreateDefaultClient(handlers);

    public async Task InitializeAsync()
    {
        await _schema.InitializeAsync();
        await Broker.InitializeAsync();
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings:Patchwork"] = LocalServers.PostgresApp,
            ["ConnectionStrings:PatchworkOwner"] = LocalServers.PostgresOwner,
            ["EventStore:Schema"] = _schema.Name,
            ["Tokens:Schema"] = _schema.Name,
            ["PersonalData:BlindIndexKey"] = LocalServers.Get("PersonalData__BlindIndexKey"),
            ["PersonalData:KeyRingCertificatePath"] = LocalServers.Get("PersonalData__KeyRingCertificatePath"),
            ["PersonalData:KeyRingCertificatePassword"] = LocalServers.Get("PersonalData__KeyRingCertificatePassword"),
            ["Policy:MaskingKey"] = LocalServers.Get("Policy__MaskingKey"),
            ["Demo:Seed"] = "true",
            ["Demo:PartnerRegistrationFile"] = RegistrationFile,
            ["RabbitMq:Host"] = Broker.Host,
            ["RabbitMq:Port"] = Broker.Port.ToString(CultureInfo.InvariantCulture),
            ["RabbitMq:VirtualHost"] = Broker.Name,
            ["RabbitMq:Username"] = Broker.Username,
            ["RabbitMq:Password"] = Broker.Password,
            ["RabbitMq:ManagementUrl"] = LocalServers.RabbitManagementUrl.ToString(),
            ["RabbitMq:AdminUsername"] = LocalServers.RabbitAdminUsername,
            ["RabbitMq:AdminPassword"] = LocalServers.RabbitAdminPassword,
        };
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(host =>
        {
            foreach (var (key, value) in settings) host.UseSetting(key, value);
            // From the first line on, so the demo's registration at start is captured too.
            host.ConfigureLogging(logging => logging.AddProvider(Logs).SetMinimumLevel(LogLevel.Trace));
            host.ConfigureTestServices(services => services.AddDataProtection().UseEphemeralDataProtectionProvider());
        });
        _ = _factory.Server;
    }

    public async Task DisposeAsync()
    {
        if (_factory is not null) await _factory.DisposeAsync();
        await Broker.DisposeAsync();
        await _schema.DisposeAsync();
        _folder.Delete(recursive: true);
    }
}

/// <summary>Keeps every request that passes, with its body, as the server received it.</summary>
public sealed class RecordedRequests : DelegatingHandler
{
    private readonly List<(HttpMethod Method, Uri Uri, string? Body)> _requests = [];

    public IReadOnlyList<(HttpMethod Method, Uri Uri, string? Body)> All
    {
        get
        {
            lock (_requests) return [.. _requests];
        }
    }

    /// <summary>The form fields of every request to the token endpoint.</summary>
    public IReadOnlyList<Dictionary<string, string>> TokenRequests => All
        .Where(request => request.Uri.AbsolutePath == TokenPaths.Token)
        .Select(request => request.Body!.Split('&').Select(parameter => parameter.Split('=', 2))
            .ToDictionary(pair => Uri.UnescapeDataString(pair[0].Replace('+', ' ')), pair => Uri.UnescapeDataString(pair[1].Replace('+', ' ')), StringComparer.Ordinal))
        .ToList();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        lock (_requests) _requests.Add((request.Method, request.RequestUri!, body));
        return await base.SendAsync(request, cancellationToken);
    }
}

/// <summary>
/// The sample partner system, run from its entry code against the real server with what the demo registered for it,
/// as <c>./patchwork partner-sample</c> runs it: a token from a client assertion, commands in, notices out, a team read.
/// </summary>
public sealed class SamplePartnerTests(SamplePartnerServer server) : IClassFixture<SamplePartnerServer>
{
    [Fact]
    public async Task The_sample_gets_a_token_registers_a_client_records_and_ends_an_involvement_hears_both_notices_and_reads_the_team()
    {
        var organisation = DemoPartnership.SocialCare.Id;
        var registration = PartnerRegistration.FromFile(server.RegistrationFile);
        var partnerSystem = Guid.Parse(registration.Api.ClientId);

        using var output = new StringWriter(CultureInfo.InvariantCulture);
        using var http = server.Http();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var exit = await SampleRun.RunAsync(registration, http, TextWriter.Synchronized(output), listen: false, deadline.Token);
        var printed = output.ToString();
        exit.ShouldBe(0, printed);

        printed.ShouldContain($"whoami: partner system {partnerSystem} of organisation {organisation.Value}, scopes {PartnerScopes.Read}");
        var client = new ClientId(Guid.Parse(Regex.Match(printed, @"-> RegisterClient client ([0-9a-f-]{36})").Groups[1].Value));
        printed.ShouldContain("<- InvolvementBecameVisible client " + client.Value);
        printed.ShouldContain($"team of client {client.Value}: 1 involvement(s) visible [duty social worker (active)], 0 masked");
        printed.ShouldContain("<- InvolvementEnded client " + client.Value);

        // The commands took effect for the organisation the queue belongs to, as the system the broker vouched for.
        var (state, _) = await server.Services.GetRequiredService<ClientTeamReader>().LoadAsync(client, default);
        var involvement = state.ShouldNotBeNull().Involvements.Values.ShouldHaveSingleItem();
        involvement.Organisation.ShouldBe(organisation);
        involvement.IsActive.ShouldBeFalse("ended by the sample's EndInvolvement");
        var vault = server.Services.GetRequiredService<ClientIdentityVault>();
        (await vault.SearchAsync(new IdentitySearch.ByLocalReference(organisation, "SAMPLE-" + client.Value.ToString("N")[..8]), default))
            .ShouldHaveSingleItem().Client.ShouldBe(client);
        // The same system over both channels: its commands through the broker, its read through the API with its purpose.
        var audit = await server.Services.GetRequiredService<AuditTrail>().AllAsync(client, default);
        audit.ShouldContain(e => e.Action == "client.register" && e.Channel == AuditChannel.Bus && e.Actor.Id == partnerSystem);
        audit.ShouldContain(e => e.Action == "client.team.read" && e.Channel == AuditChannel.Api && e.Actor.Id == partnerSystem &&
                                 e.Outcome == AuditOutcome.Allowed && e.Purpose == SampleRun.TeamReadPurpose);
    }

    [Fact]
    public async Task The_samples_token_request_carries_a_client_assertion_in_the_strict_form_and_its_token_is_reused_for_the_api()
    {
        var registration = PartnerRegistration.FromFile(server.RegistrationFile);
        var recorded = new RecordedRequests();
        using var http = server.Http(recorded);
        using var output = new StringWriter(CultureInfo.InvariantCulture);

        using var api = await PartnerApi.ConnectAsync(http, registration.Api, output, null, default);
        var first = await api.WhoAmIAsync(default);
        var second = await api.WhoAmIAsync(default);

        // The token works: whoami names the demo's system and organisation, with the one scope the sample asked for.
        second.ShouldBeEquivalentTo(first);
        first.ClientId.ShouldBe(Guid.Parse(registration.Api.ClientId));
        first.OrganisationId.ShouldBe(DemoPartnership.SocialCare.Id.Value);
        first.Scopes.ShouldBe([PartnerScopes.Read]);
        // Read from the metadata, not assumed; one token for both reads (a partner caches its token).
        recorded.All[0].Uri.AbsolutePath.ShouldBe(PartnerApi.MetadataPath);
        var request = recorded.TokenRequests.ShouldHaveSingleItem();
        request["grant_type"].ShouldBe("client_credentials");
        request["client_assertion_type"].ShouldBe(ClientAssertions.AssertionType);
        request.ShouldNotContainKey("client_secret");
        request.ShouldNotContainKey("client_id");

        // The assertion in OpenIddict's strict form: typ client-authentication+jwt; iss = sub = the client id; aud = the
        // issuer as the metadata writes it, one string; a short exp; a jti.
        var assertion = new JsonWebToken(request["client_assertion"]);
        using var header = JsonDocument.Parse(Jwt.Header(request["client_assertion"]));
        using var payload = JsonDocument.Parse(Jwt.Payload(request["client_assertion"]));
        header.RootElement.GetProperty("typ").GetString().ShouldBe("client-authentication+jwt");
        header.RootElement.GetProperty("alg").GetString().ShouldBe("ES256");
        header.RootElement.GetProperty("kid").GetString().ShouldBe(registration.Api.KeyId);
        payload.RootElement.GetProperty("iss").GetString().ShouldBe(registration.Api.ClientId);
        payload.RootElement.GetProperty("sub").GetString().ShouldBe(registration.Api.ClientId);
        payload.RootElement.GetProperty("aud").ValueKind.ShouldBe(JsonValueKind.String);
        payload.RootElement.GetProperty("aud").GetString().ShouldBe("http://localhost/", "the metadata's issuer, not the token endpoint");
        Guid.TryParse(payload.RootElement.GetProperty("jti").GetString(), out _).ShouldBeTrue();
        (assertion.ValidTo - assertion.IssuedAt).ShouldBeLessThanOrEqualTo(TimeSpan.FromMinutes(5));
        (assertion.ValidTo - assertion.IssuedAt).ShouldBeGreaterThan(TimeSpan.Zero);

        // Both reads carried that one token, an RFC 9068 access token.
        var bearers = recorded.All.Where(r => r.Uri.AbsolutePath == TokenServer.WhoAmI).ToList();
        bearers.Count.ShouldBe(2);
        var printed = output.ToString();
        printed.ShouldContain("-> token request: private_key_jwt, assertion typ client-authentication+jwt signed with ES256 key " + registration.Api.KeyId);
        printed.ShouldNotContain(request["client_assertion"]);
        printed.ShouldNotContain(assertion.EncodedSignature);
    }

    [Fact]
    public async Task The_demo_leaves_the_private_key_only_in_an_owner_only_file_and_never_in_a_log_or_the_database()
    {
        var registration = PartnerRegistration.FromFile(server.RegistrationFile);
        registration.Api.PrivateKeyFile.ShouldBe(server.KeyFile);
        var pem = await File.ReadAllTextAsync(server.KeyFile);
        pem.ShouldStartWith("-----BEGIN PRIVATE KEY-----");
        if (!OperatingSystem.IsWindows())
        {
            File.GetUnixFileMode(server.KeyFile).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.GetUnixFileMode(server.RegistrationFile).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        var body = string.Concat(pem.Split('\n').Where(line => !line.StartsWith("-----", StringComparison.Ordinal)));
        var privateScalar = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(ImportedPrivateScalar(pem));

        // The registered key is the public half only, and the demo's log line names the key by its id.
        var client = await server.Services.GetRequiredService<IPartnerClientDirectory>()
            .FindAsync(new PartnerSystemId(Guid.Parse(registration.Api.ClientId)), default);
        var registered = client.ShouldNotBeNull().PublicKeys.ShouldHaveSingleItem();
        registered.Kid.ShouldBe(registration.Api.KeyId);
        registered.D.ShouldBeNullOrEmpty();
        server.Logs.All.ShouldContain($"registered with key {registration.Api.KeyId}");
        var everything = await DatabaseScan.EveryRowAsTextAsync(LocalServers.PostgresOwner, server.SchemaName);
        everything.ShouldContain(row => row.Contains(registration.Api.KeyId, StringComparison.Ordinal), "the scan reads the registered public key");
        foreach (var secret in new[] { body, body[..40], privateScalar })
        {
            server.Logs.All.ShouldNotContain(secret, customMessage: "the demo partner's private key was logged");
            everything.ShouldNotContain(row => row.Contains(secret, StringComparison.Ordinal), "the demo partner's private key is in the database");
        }
    }

    private static byte[] ImportedPrivateScalar(string pem)
    {
        using var key = System.Security.Cryptography.ECDsa.Create();
        key.ImportFromPem(pem);
        return key.ExportParameters(includePrivateParameters: true).D!;
    }
}
