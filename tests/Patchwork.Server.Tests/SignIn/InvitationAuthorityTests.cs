using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Patchwork.Core;
using Patchwork.Core.Organisations;
using Patchwork.Core.Practitioners;
using Patchwork.Server.SignIn;
using Patchwork.Server.Tests.Api;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.SignIn;

/// <summary>
/// DESIGN §3 rule 13 through the real door (session cookie, second factor passed, antiforgery): an organisation admin
/// invites staff of their own organisation only, with ids of their own organisation's register only, and grants no role
/// they do not hold; the DPO role is a partnership admin's to grant. Written out as a table of callers × acts, each cell
/// checked for its status, its one audit entry, and — when refused — that no invitation was stored and no mail sent.
/// </summary>
public sealed class InvitationAuthorityTests(SignInServer server) : IClassFixture<SignInServer>
{
    public enum Caller
    {
        Anonymous,
        Practitioner,        // Social Care, no admin role
        PlainOrgAdmin,       // Social Care's organisation admin (and a practitioner), nothing more
        OrgAdminAndManager,  // Social Care's organisation admin who is also a manager
        PartnershipAdmin,    // Social Care's organisation admin who is also the partnership admin
        OtherOrgAdmin,       // the police's organisation admin
    }

    //                                                 Anon  Pr   POA  OAM  PA   OOA
    private const string Table = """
        POST   invite-someone-new                       401  403  201  201  201  403
        POST   invite-own-registered-practitioner       401  403  201  201  201  403
        POST   invite-another-orgs-practitioner         401  403  400  400  400  403
        POST   invite-an-unregistered-id                401  403  400  400  400  403
        POST   grant-organisation-admin                 401  403  201  201  201  403
        POST   grant-manager                            401  403  400  201  400  403
        POST   grant-data-protection-officer            401  403  400  400  201  403
        POST   grant-partnership-admin                  401  403  400  400  201  403
        """;

    private static readonly OrganisationId SocialCare = new(Guid.CreateVersion7());
    private static readonly OrganisationId Health = new(Guid.CreateVersion7());
    private static readonly OrganisationId Police = new(Guid.CreateVersion7());

    // xunit makes an instance per test; the callers are set up once for the class's server.
    private static readonly SemaphoreSlim SetUp = new(1, 1);
    private static readonly Dictionary<string, Dictionary<Caller, Browser>> Signed = [];

    /// <summary>The route every row reaches (checked on every cell's response; read by the route coverage test).</summary>
    internal static readonly Dictionary<string, string> Routes = new() { ["invite"] = "POST /api/v1/organisations/{organisation:guid}/invitations" };

    public static TheoryData<string> Acts() => [.. MatrixTable.Rows(Table).Keys];

    [Theory]
    [MemberData(nameof(Acts))]
    public async Task Every_caller_gets_exactly_the_answer_the_table_gives(string act)
    {
        var browsers = await BrowsersAsync();
        var expected = MatrixTable.Rows(Table)[act];
        var wrong = new List<string>();
        foreach (var caller in Enum.GetValues<Caller>())
        {
            var email = $"invitee.{Guid.NewGuid():N}@example.org";
            var body = await BodyAsync(act, email);
            var (audited, invitations) = (await CountAsync("audit_entries WHERE action = 'practitioner.invite'"), await CountAsync("identity_invitation"));
            using var response = await browsers[caller].PostJsonAsync($"/api/v1/organisations/{SocialCare.Value}/invitations", body);
            var status = (int)response.StatusCode;
            wrong.AddRange(MatrixTable.RouteDifferences(caller.ToString(), Routes["invite"], response));
            if (status != expected[(int)caller]) wrong.Add($"{caller}: expected {expected[(int)caller]}, got {status} {await response.Content.ReadAsStringAsync()}");
            var entries = await CountAsync("audit_entries WHERE action = 'practitioner.invite'") - audited;
            if (entries != (caller == Caller.Anonymous ? 0 : 1)) wrong.Add($"{caller}: {entries} audit entries for {status}");
            var stored = await CountAsync("identity_invitation") - invitations;
            if (status >= 400 && (stored != 0 || server.MailTo(email).Length != 0)) wrong.Add($"{caller}: refused with {status}, yet an invitation was stored or sent");
            if (status == 201 && (stored != 1 || server.MailTo(email).Length != 1)) wrong.Add($"{caller}: 201 without exactly one invitation and one mail");
        }
        wrong.ShouldBeEmpty(string.Join(Environment.NewLine, wrong));
    }

    [Fact]
    public async Task One_live_invitation_per_practitioner_and_a_link_for_someone_who_meanwhile_has_an_account_is_refused_not_a_500()
    {
        var browsers = await BrowsersAsync();
        var admin = browsers[Caller.PlainOrgAdmin];
        var nurse = await RegisteredAsync(SocialCare, "Community nurse");

        (await admin.PostJsonAsync($"/api/v1/organisations/{SocialCare.Value}/invitations",
            new { name = "Nadia Rahman", email = $"first.{Guid.NewGuid():N}@example.org", practitionerId = nurse.Value })).StatusCode.ShouldBe(HttpStatusCode.Created);
        var second = await admin.PostJsonAsync($"/api/v1/organisations/{SocialCare.Value}/invitations",
            new { name = "Nadia Rahman", email = $"second.{Guid.NewGuid():N}@example.org", practitionerId = nurse.Value });
        second.StatusCode.ShouldBe(HttpStatusCode.Conflict, await second.Content.ReadAsStringAsync());

        // An account for the same practitioner appears by another path (an earlier deployment's invitation, say): the
        // first link now names an account that exists, and is refused as spent rather than failing on the unique index.
        var someoneElse = $"other.{Guid.NewGuid():N}@example.org";
        var invited = await admin.PostJsonAsync($"/api/v1/organisations/{SocialCare.Value}/invitations", new { name = "Sam Lee", email = someoneElse });
        var practitioner = new PractitionerId((await invited.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("practitionerId").GetGuid());
        await using (var scope = server.Services.CreateAsyncScope())
        {
            var created = await scope.ServiceProvider.GetRequiredService<PractitionerAccounts>().CreateAsync(new NewPractitionerAccount(
                practitioner, SocialCare, "Sam Lee", $"elsewhere.{Guid.NewGuid():N}@example.org", Roles.Practitioner, SignInServer.StrongPassword), default);
            created.Succeeded.ShouldBeTrue();
        }
        var link = server.MailTo(someoneElse).ShouldHaveSingleItem();
        var token = link[(link.IndexOf("/account/invitations/", StringComparison.Ordinal) + "/account/invitations/".Length)..].Split('\r', '\n')[0];
        using var invitee = server.NewBrowser();
        (await invitee.PostFormAsync($"/account/invitations/{token}", new() { ["password"] = SignInServer.StrongPassword })).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    private async Task<object> BodyAsync(string act, string email) => act switch
    {
        "invite-someone-new" => new { name = "Ola Nowak", email },
        "invite-own-registered-practitioner" => new { name = "Ola Nowak", email, practitionerId = (await RegisteredAsync(SocialCare, "Family support worker")).Value },
        "invite-another-orgs-practitioner" => new { name = "Chris Evans", email, practitionerId = (await RegisteredAsync(Health, "Sexual health nurse")).Value },
        "invite-an-unregistered-id" => new { name = "Ola Nowak", email, practitionerId = Guid.CreateVersion7() },
        "grant-organisation-admin" => new { name = "Ola Nowak", email, roles = new[] { "OrganisationAdmin" } },
        "grant-manager" => new { name = "Ola Nowak", email, roles = new[] { "Manager" } },
        "grant-data-protection-officer" => new { name = "Ola Nowak", email, roles = new[] { "DataProtectionOfficer" } },
        "grant-partnership-admin" => new { name = "Ola Nowak", email, roles = new[] { "PartnershipAdmin" } },
        _ => throw new ArgumentOutOfRangeException(nameof(act), act, "not in the table"),
    };

    /// <summary>A practitioner on <paramref name="organisation"/>'s register (the partnership's record of who works where).</summary>
    private async Task<PractitionerId> RegisteredAsync(OrganisationId organisation, string jobTitle)
    {
        var practitioner = new PractitionerId(Guid.CreateVersion7());
        await using var write = await server.Services.GetRequiredService<EventStore.EventStore>().OpenWriteTransactionAsync(EventStore.EventMetadata.None);
        write.Session.Events.Append(organisation.Value, new PractitionerRegistered(practitioner, organisation, "Registered Practitioner", jobTitle,
            new ContactRoute("01632 960123", null), Roles.Practitioner, null, new ActedBy(organisation, null, null), DateTimeOffset.UtcNow));
        (await write.CommitAsync(CancellationToken.None)).ShouldBeTrue();
        return practitioner;
    }

    private async Task<Dictionary<Caller, Browser>> BrowsersAsync()
    {
        await SetUp.WaitAsync();
        try
        {
            if (Signed.TryGetValue(server.SchemaName, out var ready)) return ready;
            await using (var write = await server.Services.GetRequiredService<EventStore.EventStore>().OpenWriteTransactionAsync(EventStore.EventMetadata.None))
            {
                foreach (var (organisation, name, sector) in new[] { (SocialCare, "Social Care", Sector.SocialCare), (Health, "Health", Sector.Health), (Police, "Police", Sector.Police) })
                    write.Session.Events.StartStream(organisation.Value, new OrganisationRegistered(organisation, name, sector, null, null, new ActedBy(organisation, null, null), DateTimeOffset.UtcNow));
                (await write.CommitAsync(CancellationToken.None)).ShouldBeTrue();
            }
            var browsers = new Dictionary<Caller, Browser> { [Caller.Anonymous] = server.NewBrowser() };
            foreach (var (caller, roles, organisation) in new[]
                     {
                         (Caller.Practitioner, Roles.Practitioner, SocialCare),
                         (Caller.PlainOrgAdmin, Roles.Practitioner | Roles.OrganisationAdmin, SocialCare),
                         (Caller.OrgAdminAndManager, Roles.Practitioner | Roles.OrganisationAdmin | Roles.Manager, SocialCare),
                         (Caller.PartnershipAdmin, Roles.OrganisationAdmin | Roles.PartnershipAdmin, SocialCare),
                         (Caller.OtherOrgAdmin, Roles.Practitioner | Roles.OrganisationAdmin, Police),
                     })
                browsers[caller] = (await server.EnrolledAsync(await server.GivenAccountAsync(roles, organisation))).Browser;
            return Signed[server.SchemaName] = browsers;
        }
        finally
        {
            SetUp.Release();
        }
    }

    private async Task<long> CountAsync(string from)
    {
        await using var connection = new NpgsqlConnection(LocalServers.PostgresOwner);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM \"{server.SchemaName}\".{from}", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
