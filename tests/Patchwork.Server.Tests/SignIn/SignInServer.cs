using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Patchwork.Core;
using Patchwork.Server.SignIn;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.SignIn;

/// <summary>A clock the test moves; everything else in the host keeps running on it.</summary>
public sealed class MovableClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}

/// <summary>A Patchwork host on a schema of its own, its mail in a temporary pickup directory, and verbs for accounts.</summary>
public class SignInServer : IAsyncLifetime
{
    public const string StrongPassword = "correct horse battery staple";

    private PostgresSchema? _schema;
    private WebApplicationFactory<Program>? _factory;

    /// <summary>The host's own virtual host: what its feed publishes, no other class's host hears.</summary>
    public RabbitVirtualHost Broker { get; } = new();

    public string MailDirectory { get; } = Path.Combine(Path.GetTempPath(), "patchwork-mail-" + Guid.NewGuid().ToString("N"));

    public MovableClock Clock { get; } = new(TimeProvider.System.GetUtcNow());

    public IServiceProvider Services => _factory!.Services;

    public string SchemaName => ExistingSchema ?? _schema!.Name;

    /// <summary>Set by a second node of the same deployment: it shares the first node's schema and leaves it in place.</summary>
    protected virtual string? ExistingSchema => null;

    protected virtual int AttemptsPerWindow => 100_000;

    /// <summary>Only a test class that moves time uses the movable clock; the others keep real time, as authenticator codes do.</summary>
    protected virtual bool UsesMovableClock => false;

    /// <summary>For a test class that needs a setting of its own.</summary>
    protected virtual void AddSettings(Dictionary<string, string> settings)
    {
    }

    public async Task InitializeAsync()
    {
        if (ExistingSchema is null)
        {
            _schema = new PostgresSchema();
            await _schema.InitializeAsync();
        }
        await Broker.InitializeAsync();
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings:Patchwork"] = LocalServers.PostgresApp,
            ["ConnectionStrings:PatchworkOwner"] = LocalServers.PostgresOwner,
            ["EventStore:Schema"] = SchemaName,
            ["Tokens:Schema"] = SchemaName,
            ["Policy:MaskingKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["RabbitMq:Host"] = LocalServers.RabbitHost,
            ["RabbitMq:Port"] = LocalServers.RabbitPort.ToString(CultureInfo.InvariantCulture),
            ["RabbitMq:VirtualHost"] = Broker.Name,
            ["RabbitMq:Username"] = LocalServers.RabbitUsername,
            ["RabbitMq:Password"] = LocalServers.RabbitPassword,
            ["Mail:PickupDirectory"] = MailDirectory,
            ["SignIn:AttemptsPerWindow"] = AttemptsPerWindow.ToString(CultureInfo.InvariantCulture),
        };
        AddSettings(settings);
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(host =>
        {
            foreach (var (key, value) in settings) host.UseSetting(key, value);
            host.ConfigureTestServices(services =>
            {
                if (UsesMovableClock) services.AddSingleton<TimeProvider>(Clock);
                services.AddDataProtection().UseEphemeralDataProtectionProvider();
                services.AddSingleton<IStartupFilter, TestRemoteAddress>();
                services.AddSingleton<IStartupFilter, Api.MatchedRoute>();
            });
        });
        _ = _factory.Server;
    }

    public async Task DisposeAsync()
    {
        if (_factory is not null) await _factory.DisposeAsync();
        await Broker.DisposeAsync();
        if (_schema is not null) await _schema.DisposeAsync();
        if (Directory.Exists(MailDirectory)) Directory.Delete(MailDirectory, recursive: true);
    }

    /// <summary>A user agent with its own cookie jar; <paramref name="from"/> sets the remote address the host sees.</summary>
    public Browser NewBrowser(bool https = false, IPAddress? from = null)
    {
        var http = _factory!.CreateClient(new WebApplicationFactoryClientOptions
        {
            AllowAutoRedirect = false,
            HandleCookies = true,
            BaseAddress = new Uri(https ? "https://localhost/" : "http://localhost/"),
        });
        if (from is not null) http.DefaultRequestHeaders.Add(TestRemoteAddress.Header, from.ToString());
        return new Browser(http);
    }

    /// <summary>A client without a cookie jar: it sends exactly the Cookie header a test gives it, e.g. a copy kept from before.</summary>
    public HttpClient NewClientWithCookie(string cookie)
    {
        var http = _factory!.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        http.DefaultRequestHeaders.Add("Cookie", cookie);
        return http;
    }

    /// <summary>The clock authenticator codes are checked against in this host.</summary>
    public TimeProvider CodeClock => UsesMovableClock ? Clock : TimeProvider.System;

    private readonly Dictionary<string, long> _lastStep = [];

    /// <summary>
    /// The authenticator's code for a time step this test has not used yet for <paramref name="key"/> (a code works once,
    /// RFC 6238 §5.2): the current step, else a later one the host still accepts (it allows two steps of drift), else the
    /// next step once it comes.
    /// </summary>
    public async Task<string> NextCodeAsync(string key)
    {
        long step;
        lock (_lastStep)
        {
            var now = CodeClock.GetUtcNow().ToUnixTimeSeconds() / 30;
            step = _lastStep.TryGetValue(key, out var last) ? Math.Max(now, last + 1) : now;
            _lastStep[key] = step;
        }
        await Eventually.Within(TimeSpan.FromSeconds(40), () => Task.FromResult(CodeClock.GetUtcNow().ToUnixTimeSeconds() / 30 >= step - 2),
            "a time step the host accepts a fresh code in");
        return Totp.Code(key, DateTimeOffset.FromUnixTimeSeconds(step * 30));
    }

    public sealed record Account(string Email, string Password, PractitionerId Practitioner, OrganisationId Organisation, Roles Roles);

    public async Task<Account> GivenAccountAsync(Roles roles = Roles.Practitioner, OrganisationId? organisation = null)
    {
        var account = new Account($"p{Guid.NewGuid():N}@example.org", StrongPassword, new PractitionerId(Guid.CreateVersion7()),
            organisation ?? new OrganisationId(Guid.CreateVersion7()), roles);
        await using var scope = Services.CreateAsyncScope();
        var created = await scope.ServiceProvider.GetRequiredService<PractitionerAccounts>().CreateAsync(new NewPractitionerAccount(
            account.Practitioner, account.Organisation, "Test Practitioner", account.Email, account.Roles, account.Password), default);
        created.Succeeded.ShouldBeTrue(string.Join("; ", created.Errors.Select(e => e.Description)));
        return account;
    }

    /// <summary>Signs in for the first time and enrols an authenticator: the browser is fully signed in afterwards.</summary>
    public async Task<(Browser Browser, string Key, string[] RecoveryCodes)> EnrolledAsync(Account account, bool https = false)
    {
        var browser = NewBrowser(https);
        var step = await browser.SignInAsync(account.Email, account.Password);
        step.GetProperty("next").GetString().ShouldBe("enrol");
        var key = step.GetProperty("sharedKey").GetString()!;
        var enrolled = await browser.PostFormAsync("/account/enrolment", new() { ["code"] = await NextCodeAsync(key) });
        enrolled.StatusCode.ShouldBe(HttpStatusCode.OK, await enrolled.Content.ReadAsStringAsync());
        var codes = (await enrolled.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("recoveryCodes").EnumerateArray().Select(c => c.GetString()!).ToArray();
        return (browser, key, codes);
    }

    /// <summary>A later sign-in of an enrolled account: password, then the authenticator's current code.</summary>
    public async Task<Browser> SignedInAsync(Account account, string key)
    {
        var browser = NewBrowser();
        (await browser.SignInAsync(account.Email, account.Password)).GetProperty("next").GetString().ShouldBe("second-factor");
        (await browser.PostFormAsync("/account/second-factor", new() { ["code"] = await NextCodeAsync(key) })).StatusCode.ShouldBe(HttpStatusCode.OK);
        return browser;
    }

    public string[] MailTo(string email) => Directory.Exists(MailDirectory)
        ? Directory.GetFiles(MailDirectory, "*.eml").Select(File.ReadAllText).Where(m => m.Contains($"<{email}>", StringComparison.Ordinal)).ToArray()
        : [];
}

/// <summary>One user agent: its cookie jar, and antiforgery tokens fetched the way a page or script would.</summary>
public sealed class Browser(HttpClient http) : IDisposable
{
    public HttpClient Http { get; } = http;

    public async Task<string> AntiforgeryTokenAsync()
    {
        var token = await Http.GetFromJsonAsync<JsonElement>("/account/antiforgery");
        return token.GetProperty("requestToken").GetString()!;
    }

    public async Task<HttpResponseMessage> PostFormAsync(string path, Dictionary<string, string> fields, bool withAntiforgery = true)
    {
        if (withAntiforgery) fields["__RequestVerificationToken"] = await AntiforgeryTokenAsync();
        return await Http.PostAsync(path, new FormUrlEncodedContent(fields));
    }

    public async Task<HttpResponseMessage> PostJsonAsync(string path, object? body, bool withAntiforgery = true)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body ?? new { }) };
        if (withAntiforgery) request.Headers.Add("RequestVerificationToken", await AntiforgeryTokenAsync());
        return await Http.SendAsync(request);
    }

    public async Task<JsonElement> SignInAsync(string email, string password)
    {
        var response = await PostFormAsync("/account/sign-in", new() { ["email"] = email, ["password"] = password });
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    public Task<HttpResponseMessage> MeAsync() => Http.GetAsync("/api/v1/me");

    public void Dispose() => Http.Dispose();
}
