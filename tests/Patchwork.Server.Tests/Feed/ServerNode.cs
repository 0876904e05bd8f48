using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Patchwork.Server.Demo;
using Patchwork.Server.Tests.SignIn;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.Feed;

/// <summary>
/// One Patchwork server as a real process on a loopback port, in a deployment of nodes sharing a schema and a virtual
/// host, with the demo partnership seeded and its staff invited (links in a mail folder of the node's own).
/// </summary>
public sealed partial class ServerNode : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];

    private ServerNode(Process process, Uri address, string mail)
    {
        _process = process;
        Address = address;
        MailDirectory = mail;
        _ = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line) lock (_output) _output.Add(line);
        });
    }

    public Uri Address { get; }

    /// <summary>True once the server process has ended: a crash, when no test stopped it.</summary>
    public bool HasExited => _process.HasExited;

    public string MailDirectory { get; }

    public string Output
    {
        get { lock (_output) return string.Join('\n', _output); }
    }

    public static async Task<ServerNode> StartAsync(string schema, string virtualHost)
    {
        var port = LoopbackPort.Free();
        var mail = Path.Combine(Path.GetTempPath(), "patchwork-node-mail-" + Guid.NewGuid().ToString("N"));
        var start = ServerProcessStart.On(port);
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings__Patchwork"] = LocalServers.PostgresApp,
            ["ConnectionStrings__PatchworkOwner"] = LocalServers.PostgresOwner,
            ["EventStore__Schema"] = schema,
            ["Tokens__Schema"] = schema,
            ["PersonalData__BlindIndexKey"] = LocalServers.Get("PersonalData__BlindIndexKey"),
            ["PersonalData__KeyRingCertificatePath"] = LocalServers.Get("PersonalData__KeyRingCertificatePath"),
            ["PersonalData__KeyRingCertificatePassword"] = LocalServers.Get("PersonalData__KeyRingCertificatePassword"),
            ["Policy__MaskingKey"] = LocalServers.Get("Policy__MaskingKey"),
            ["RabbitMq__Host"] = LocalServers.RabbitHost,
            ["RabbitMq__Port"] = LocalServers.RabbitPort.ToString(CultureInfo.InvariantCulture),
            ["RabbitMq__VirtualHost"] = virtualHost,
            ["RabbitMq__Username"] = LocalServers.RabbitUsername,
            ["RabbitMq__Password"] = LocalServers.RabbitPassword,
            ["Demo__Seed"] = "true",
            ["Demo__InviteStaff"] = "true",
            ["Mail__PickupDirectory"] = mail,
            ["SignIn__AttemptsPerWindow"] = "100000",
            ["Api__SearchesPerMinute"] = "100000",
        };
        foreach (var (key, value) in settings) start.Environment[key] = value;
        var node = new ServerNode(Process.Start(start)!, new Uri($"http://127.0.0.1:{port}"), mail);
        using var http = new HttpClient { BaseAddress = node.Address };
        await Eventually.Within(TimeSpan.FromSeconds(90), async () =>
        {
            if (node._process.HasExited) throw new InvalidOperationException("The server process exited:\n" + node.Output);
            try { return (await http.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK; }
            catch (HttpRequestException) { return false; }
        }, "the server process to become ready");
        return node;
    }

    /// <summary>
    /// Signs a demo practitioner in on this node as a browser would: the invitation link from the mail folder (of
    /// <paramref name="invitedBy"/>, the node that sent it), a password, then enrolment of an authenticator.
    /// </summary>
    public async Task<SignedIn> SignInAsync(DemoPartnership.Staff staff, ServerNode invitedBy)
    {
        ArgumentNullException.ThrowIfNull(staff);
        ArgumentNullException.ThrowIfNull(invitedBy);
        var cookies = new CookieContainer();
        var browser = new Browser(new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = Address });
        var mail = Directory.GetFiles(invitedBy.MailDirectory, "*.eml").Select(File.ReadAllText)
            .Single(m => m.Contains($"<{staff.Contact.Email}>", StringComparison.Ordinal));
        var token = InvitationLink().Match(mail).Groups[1].Value;
        (await browser.PostFormAsync($"/account/invitations/{token}", new() { ["password"] = SignInServer.StrongPassword })).StatusCode.ShouldBe(HttpStatusCode.Created);
        var step = await browser.SignInAsync(staff.Contact.Email!, SignInServer.StrongPassword);
        var key = step.GetProperty("sharedKey").GetString()!;
        var enrolled = await browser.PostFormAsync("/account/enrolment", new() { ["code"] = Totp.Now(key) });
        enrolled.StatusCode.ShouldBe(HttpStatusCode.OK, await enrolled.Content.ReadAsStringAsync());
        return new SignedIn(browser, cookies, this);
    }

    /// <summary>A signed-in practitioner's browser on one node: its API client and its cookie jar (for the feed's WebSocket).</summary>
    public sealed record SignedIn(Browser Browser, CookieContainer Cookies, ServerNode Node)
    {
        public HttpClient Http => Browser.Http;

        public Task<FeedSocket> FeedAsync(string? origin = null) => FeedSocket.ConnectAsync(Node.Address, Cookies, origin);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        if (Directory.Exists(MailDirectory)) Directory.Delete(MailDirectory, recursive: true);
    }


    [GeneratedRegex(@"account/invitations/([A-Za-z0-9_-]+)")]
    private static partial Regex InvitationLink();
}
