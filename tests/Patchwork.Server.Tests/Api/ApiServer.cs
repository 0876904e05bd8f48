using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Patchwork.Core;
using Patchwork.Server.Demo;
using Patchwork.Server.Tokens;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.Api;

/// <summary>
/// A Patchwork host with the demo county on a schema of its own, and verbs to call the API as its practitioners or as
/// partner systems. Practitioners come in through one of two doors: here, <see cref="TestPractitionerScheme"/>, a header
/// issuing the claims the session cookie carries, for tests about what the API does with a caller; in
/// <see cref="SignedInApiServer"/>, the real one (password, second factor, session cookie, antiforgery on writes), for the
/// authorization matrices, which are about who gets in. Partners always use real tokens.
/// </summary>
public class ApiServer : IAsyncLifetime
{
    private readonly PostgresSchema _schema = new();
    private readonly RabbitVirtualHost _broker = new();
    private WebApplicationFactory<Program>? _factory;

    public string Schema => _schema.Name;

    public IServiceProvider Services => _factory!.Services;

    /// <summary>Settings a test class changes, such as a tight search rate limit.</summary>
    public Dictionary<string, string> Settings { get; } = new() { ["Api:SearchesPerMinute"] = "100000" };

    /// <summary>True where practitioners sign in for real: the header scheme is then not installed at all.</summary>
    protected virtual bool SignsPractitionersIn => false;

    private SignedInPractitioners? _sessions;

    public async Task InitializeAsync()
    {
        if (SignsPractitionersIn)
        {
            // Sign-in's per-address limit (10 a window) is not what the matrices test; a dozen callers sign in from one address.
            Settings.TryAdd("SignIn:AttemptsPerWindow", "100000");
            // Registering a partner system (PractitionerDoorsMatrixTests) makes its broker user through the management API.
            Settings.TryAdd("RabbitMq:ManagementUrl", LocalServers.RabbitManagementUrl.ToString());
            Settings.TryAdd("RabbitMq:AdminUsername", LocalServers.RabbitAdminUsername);
            Settings.TryAdd("RabbitMq:AdminPassword", LocalServers.RabbitAdminPassword);
        }
        await _schema.InitializeAsync();
        await _broker.InitializeAsync();
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(host =>
        {
            host.UseSetting("ConnectionStrings:Patchwork", LocalServers.PostgresApp)
                .UseSetting("ConnectionStrings:PatchworkOwner", LocalServers.PostgresOwner)
                .UseSetting("EventStore:Schema", _schema.Name)
                .UseSetting("Tokens:Schema", _schema.Name)
                .UseSetting("Tokens:TokenRequestsPerWindow", "100000")
                .UseSetting("PersonalData:BlindIndexKey", LocalServers.Get("PersonalData__BlindIndexKey"))
                .UseSetting("PersonalData:KeyRingCertificatePath", LocalServers.Get("PersonalData__KeyRingCertificatePath"))
                .UseSetting("PersonalData:KeyRingCertificatePassword", LocalServers.Get("PersonalData__KeyRingCertificatePassword"))
                .UseSetting("Policy:MaskingKey", LocalServers.Get("Policy__MaskingKey"))
                .UseSetting("Demo:Seed", "true")
                .UseSetting("RabbitMq:Host", LocalServers.RabbitHost)
                .UseSetting("RabbitMq:Port", LocalServers.RabbitPort.ToString(CultureInfo.InvariantCulture))
                // A virtual host of the fixture's own: the feed's fan-out reaches this host's nodes only, never another class's.
                .UseSetting("RabbitMq:VirtualHost", _broker.Name)
                .UseSetting("RabbitMq:Username", LocalServers.RabbitUsername)
                .UseSetting("RabbitMq:Password", LocalServers.RabbitPassword);
            foreach (var (key, value) in Settings) host.UseSetting(key, value);
            host.ConfigureTestServices(services =>
            {
                ConfigureServices(services);
                services.AddSingleton<IStartupFilter, MatchedRoute>();
                if (SignsPractitionersIn) return;
                services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, TestPractitionerScheme>(TestPractitionerScheme.Name, _ => { });
                services.PostConfigure<AuthenticationOptions>(options =>
                {
                    options.DefaultScheme = TestPractitionerScheme.Name;
                    options.DefaultAuthenticateScheme = TestPractitionerScheme.Name;
                    options.DefaultChallengeScheme = TestPractitionerScheme.Name;
                });
            });
        });
        _ = _factory.Server;
        if (SignsPractitionersIn) _sessions = new SignedInPractitioners(_factory);
    }

    /// <summary>Services a derived host replaces, such as the clock.</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    public async Task DisposeAsync()
    {
        if (_factory is not null) await _factory.DisposeAsync();
        await _broker.DisposeAsync();
        await _schema.DisposeAsync();
    }

    public HttpClient Anonymous() => _factory!.CreateClient();

    /// <summary>The in-memory server's handler, for a client other than HttpClient (a SignalR connection) to reach the host.</summary>
    public HttpMessageHandler Handler() => _factory!.Server.CreateHandler();

    /// <summary>A client with no credentials that sees each redirect as it comes, as the pages answer it.</summary>
    public HttpClient AnonymousWithoutRedirects() => _factory!.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

    /// <summary>A client acting as one of the demo county's staff, through the test header.</summary>
    public HttpClient As(DemoPartnership.Staff staff) => As(staff.Id, staff.Agency.Id, staff.Roles);

    public HttpClient As(PractitionerId practitioner, OrganisationId organisation, Roles roles)
    {
        if (SignsPractitionersIn) throw new InvalidOperationException("This host signs practitioners in for real: use AsAsync.");
        var http = _factory!.CreateClient();
        http.DefaultRequestHeaders.Add(TestPractitionerScheme.Header, $"{practitioner.Value}|{organisation.Value}|{roles}");
        return http;
    }

    /// <summary>A client acting as one of the demo county's staff through this host's door (see the class summary).</summary>
    public Task<HttpClient> AsAsync(DemoPartnership.Staff staff) => AsAsync(staff.Id, staff.Agency.Id, staff.Roles);

    public Task<HttpClient> AsAsync(PractitionerId practitioner, OrganisationId organisation, Roles roles) =>
        _sessions is { } sessions ? sessions.AsAsync(practitioner, organisation, roles) : Task.FromResult(As(practitioner, organisation, roles));

    /// <summary>The real sign-in's sessions and accounts; only where practitioners sign in for real.</summary>
    public SignedInPractitioners Sessions => _sessions ?? throw new InvalidOperationException("This host lets practitioners in by the test header.");

    /// <summary>A client holding a real access token of a partner system of <paramref name="organisation"/>.</summary>
    public Task<HttpClient> AsPartnerOf(OrganisationId organisation, params string[] scopes) =>
        PartnerTokens.AuthoriseAsync(Services, _factory!.CreateClient(), organisation, scopes);

    public async Task<long> AuditCountAsync(ClientId? client = null)
    {
        await using var connection = new NpgsqlConnection(LocalServers.PostgresOwner);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"SELECT count(*) FROM \"{Schema}\".audit_entries WHERE @client::uuid IS NULL OR client_id = @client::uuid", connection);
        command.Parameters.AddWithValue("client", (object?)client?.Value ?? DBNull.Value);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>A fresh client registered by the demo social worker, so a test can change its record without disturbing others.</summary>
    public async Task<ClientId> GivenNewClientAsync(string familyName)
    {
        var response = await (await AsAsync(DemoPartnership.SocialWorker)).PostAsJsonAsync("/api/v1/clients", new
        {
            givenNames = "Test", familyName, dateOfBirth = "2012-05-06", candidatesSeen = true,
        });
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(System.Net.HttpStatusCode.Created, body);
        return new ClientId(JsonDocument.Parse(body).RootElement.GetProperty("clientId").GetGuid());
    }
}

/// <summary>The test seam for practitioner sign-in: a header naming practitioner|organisation|roles becomes the cookie's claims.</summary>
public sealed class TestPractitionerScheme(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string Name = "TestPractitioner";
    public const string Header = "X-Test-Practitioner";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (Request.Headers[Header].ToString() is not { Length: > 0 } value) return Task.FromResult(AuthenticateResult.NoResult());
        var parts = value.Split('|');
        var claims = new List<Claim> { new("pw:practitioner", parts[0]), new("pw:org", parts[1]) };
        claims.AddRange(Enum.Parse<Roles>(parts[2]).ToString().Split(", ").Select(role => new Claim("pw:role", role)));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, Name)), Name)));
    }
}

/// <summary>Registers a partner system of an organisation in a host and gives an HTTP client its real access token.</summary>
public static class PartnerTokens
{
    public static async Task<HttpClient> AuthoriseAsync(IServiceProvider services, HttpClient http, OrganisationId organisation, string[] scopes)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(http);
        var directory = services.GetRequiredService<IPartnerClientDirectory>();
        var client = await directory.RegisterAsync(new PartnerClientRegistration(PartnerSystemId.New(), organisation, "Test partner", scopes), CancellationToken.None);
        var secret = await directory.IssueSecretAsync(client.ClientId, CancellationToken.None);
        var request = new HttpRequestMessage(HttpMethod.Post, TokenPaths.Token)
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials"), new("scope", string.Join(' ', scopes))]),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(client.OAuthClientId)}:{Uri.EscapeDataString(secret)}")));
        var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        response.IsSuccessStatusCode.ShouldBeTrue(body);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString());
        return http;
    }
}
