using System.Globalization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Npgsql;
using Patchwork.Server.Demo;
using Patchwork.Server.SignIn;
using Patchwork.Testing;

namespace Patchwork.Web.Tests;

/// <summary>
/// The real host on a loopback port (Kestrel, not the test server, so a real browser can reach it), with the demo county
/// seeded into a schema of its own, real PostgreSQL and RabbitMQ, and Debian's Chromium driven by Playwright.
/// Demo staff get accounts (password only; each test enrols the authenticator through the pages).
/// </summary>
public sealed class WebServer : IAsyncLifetime
{
    public const string Password = "correct horse battery staple";

    private readonly PostgresSchema _schema = new();

    /// <summary>The database schema this host's tables live in.</summary>
    public string Schema => _schema.Name;
    private readonly RabbitVirtualHost _broker = new();
    private Host? _host;
    private IPlaywright? _playwright;

    public Uri Address { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public IServiceProvider Services => _host!.Services;

    /// <summary>Where screenshots and measurements go: artifacts/web under the repository (git-ignored).</summary>
    public static string Artefacts { get; } = Directory.CreateDirectory(Path.Combine(RepositoryRoot(), "artifacts", "web")).FullName;

    public async Task InitializeAsync()
    {
        await _schema.InitializeAsync();
        await _broker.InitializeAsync();
        _host = new Host(_schema.Name, _broker.Name);
        Address = _host.Start();
        foreach (var staff in DemoPartnership.Everyone) await GivenAccountAsync(staff);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        if (_host is not null) await _host.DisposeAsync();
        await _broker.DisposeAsync();
        await _schema.DisposeAsync();
    }

    public static string EmailOf(DemoPartnership.Staff staff) => staff.Name.ToLowerInvariant().Replace(' ', '.') + "@web-tests.example.org";

    /// <summary>
    /// A browser context of its own (cookies, JavaScript on or off) at a phone's width. Every wait in it has a deadline that
    /// holds on a loaded machine (Playwright's own default is 30 s, which a clean-clone run under load once exceeded).
    /// </summary>
    public async Task<IBrowserContext> NewContextAsync(bool javaScript = true, int width = 375, Uri? through = null)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = (through ?? Address).ToString(),
            JavaScriptEnabled = javaScript,
            ViewportSize = new ViewportSize { Width = width, Height = 800 },
        });
        context.SetDefaultTimeout(120_000);
        context.SetDefaultNavigationTimeout(120_000);
        return context;
    }

    public async Task<long> AuditCountAsync(string action, string channel)
    {
        await using var connection = new NpgsqlConnection(LocalServers.PostgresOwner);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"SELECT count(*) FROM \"{_schema.Name}\".audit_entries WHERE action = @action AND channel = @channel", connection);
        command.Parameters.AddWithValue("action", action);
        command.Parameters.AddWithValue("channel", channel);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>How many audit entries of this action, on the web channel, for this client, recorded exactly this purpose.</summary>
    public async Task<long> AuditCountAsync(string action, Guid client, string purpose)
    {
        await using var connection = new NpgsqlConnection(LocalServers.PostgresOwner);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"SELECT count(*) FROM \"{_schema.Name}\".audit_entries WHERE action = @action AND channel = 'web' AND client_id = @client AND purpose = @purpose", connection);
        command.Parameters.AddWithValue("action", action);
        command.Parameters.AddWithValue("client", client);
        command.Parameters.AddWithValue("purpose", purpose);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>The checkout these tests were built from (not necessarily the one whose servers they use).</summary>
    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Patchwork.sln"))) directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("The tests run from outside a Patchwork checkout.");
    }

    private async Task GivenAccountAsync(DemoPartnership.Staff staff)
    {
        await using var scope = Services.CreateAsyncScope();
        var created = await scope.ServiceProvider.GetRequiredService<PractitionerAccounts>().CreateAsync(
            new NewPractitionerAccount(staff.Id, staff.Agency.Id, staff.Name, EmailOf(staff), staff.Roles, Password), CancellationToken.None);
        created.Succeeded.ShouldBeTrue(string.Join("; ", created.Errors.Select(e => e.Description)));
    }

    /// <summary>A host on its own schema and its own virtual host: the demo's ids are the same in every schema, so a shared
    /// virtual host would let one class's browser hear another class's notices.</summary>
    private sealed class Host(string schema, string virtualHost) : WebApplicationFactory<Program>
    {
        public Uri Start()
        {
            UseKestrel(0);
            StartServer();
            return new Uri(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            // Production, as deployed: static assets are served precompressed, not rebuilt on the fly as in Development.
            builder.UseEnvironment("Production");
            builder.UseSetting("ConnectionStrings:Patchwork", LocalServers.PostgresApp)
                .UseSetting("ConnectionStrings:PatchworkOwner", LocalServers.PostgresOwner)
                .UseSetting("EventStore:Schema", schema)
                .UseSetting("Tokens:Schema", schema)
                .UseSetting("PersonalData:BlindIndexKey", LocalServers.Get("PersonalData__BlindIndexKey"))
                .UseSetting("PersonalData:KeyRingCertificatePath", LocalServers.Get("PersonalData__KeyRingCertificatePath"))
                .UseSetting("PersonalData:KeyRingCertificatePassword", LocalServers.Get("PersonalData__KeyRingCertificatePassword"))
                .UseSetting("Policy:MaskingKey", LocalServers.Get("Policy__MaskingKey"))
                .UseSetting("Demo:Seed", "true")
                // Production requires the public origin of invitation links and the token server's issuer; these tests follow neither.
                .UseSetting("SignIn:PublicBaseUrl", "https://patchwork.test")
                .UseSetting("Tokens:Issuer", "https://patchwork.test")
                .UseSetting("PartnerBus:Relay", "false")
                .UseSetting("SignIn:AttemptsPerWindow", "100000")
                .UseSetting("Api:SearchesPerMinute", "100000")
                .UseSetting("Mail:PickupDirectory", Path.Combine(Path.GetTempPath(), "patchwork-web-mail-" + schema))
                .UseSetting("RabbitMq:Host", LocalServers.RabbitHost)
                .UseSetting("RabbitMq:Port", LocalServers.RabbitPort.ToString(CultureInfo.InvariantCulture))
                .UseSetting("RabbitMq:VirtualHost", virtualHost)
                .UseSetting("RabbitMq:Username", LocalServers.RabbitUsername)
                .UseSetting("RabbitMq:Password", LocalServers.RabbitPassword)
                // Registering a partner system on the admin pages provisions its broker user, exchanges and queues.
                .UseSetting("RabbitMq:ManagementUrl", LocalServers.RabbitManagementUrl.ToString())
                .UseSetting("RabbitMq:AdminUsername", LocalServers.RabbitAdminUsername)
                .UseSetting("RabbitMq:AdminPassword", LocalServers.RabbitAdminPassword);
        }
    }
}
