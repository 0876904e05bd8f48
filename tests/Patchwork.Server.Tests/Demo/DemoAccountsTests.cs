using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Patchwork.Server.Demo;
using Patchwork.Server.SignIn;
using Patchwork.Server.Tests.SignIn;

namespace Patchwork.Server.Tests.Demo;

/// <summary>A host that invites the demo staff, as <c>./patchwork run</c> does.</summary>
public sealed class DemoInvitingServer : SignInServer
{
    protected override void AddSettings(Dictionary<string, string> settings) => settings["Demo:InviteStaff"] = "true";
}

public sealed class DemoAccountsTests(DemoInvitingServer server) : IClassFixture<DemoInvitingServer>
{
    [Fact]
    public async Task Every_demo_practitioner_gets_one_live_invitation_mailed_and_starting_again_sends_no_more()
    {
        Directory.GetFiles(server.MailDirectory, "*.eml").Length.ShouldBe(DemoPartnership.Everyone.Length);

        // A second start (another node, or a restart) finds the live invitations and sends nothing new.
        var demo = server.Services.GetServices<IHostedService>().OfType<DemoAccounts>().Single();
        await demo.StartAsync(CancellationToken.None);
        Directory.GetFiles(server.MailDirectory, "*.eml").Length.ShouldBe(DemoPartnership.Everyone.Length);

        await using var scope = server.Services.CreateAsyncScope();
        var invitations = await scope.ServiceProvider.GetRequiredService<SignInDbContext>().Invitations.AsNoTracking().ToListAsync();
        invitations.Select(i => i.PractitionerId).Order().ShouldBe(DemoPartnership.Everyone.Select(s => s.Id.Value).Order());
        foreach (var staff in DemoPartnership.Everyone)
        {
            var invitation = invitations.Single(i => i.PractitionerId == staff.Id.Value);
            invitation.OrganisationId.ShouldBe(staff.Agency.Id.Value);
            invitation.Roles.ShouldBe(staff.Roles);
            invitation.Email.ShouldBe(staff.Contact.Email);
        }
    }

    [Fact]
    public async Task A_demo_invitation_link_makes_the_practitioners_own_account_with_their_roles()
    {
        var nurse = DemoPartnership.SchoolNurse;
        var mail = Directory.GetFiles(server.MailDirectory, "*.eml").Select(File.ReadAllText).Single(m => m.Contains(nurse.Contact.Email!, StringComparison.Ordinal));
        var token = System.Text.RegularExpressions.Regex.Match(mail, @"account/invitations/([A-Za-z0-9_-]+)").Groups[1].Value;

        await using var scope = server.Services.CreateAsyncScope();
        var accounts = scope.ServiceProvider.GetRequiredService<PractitionerAccounts>();
        var accepted = await accounts.AcceptInvitationAsync(token, SignInServer.StrongPassword, CancellationToken.None);

        accepted.Value.ShouldBe(nurse.Id);
        var user = await accounts.FindAsync(nurse.Id, CancellationToken.None);
        user.ShouldNotBeNull();
        user.OrganisationId.ShouldBe(nurse.Agency.Id.Value);
        user.Roles.ShouldBe(nurse.Roles);
    }
}
