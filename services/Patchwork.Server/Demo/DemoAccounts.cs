using Microsoft.EntityFrameworkCore;
using Patchwork.Server.SignIn;

namespace Patchwork.Server.Demo;

/// <summary>
/// With <c>Demo:InviteStaff</c> (set by <c>./patchwork run</c> beside <c>Demo:Seed</c>), each of the demo partnership's staff who has neither an account nor a live invitation is invited
/// the way real staff are: a one-time link mailed by the partnership administrator (into the pickup folder locally), so
/// someone trying Patchwork signs in as any of them — password and authenticator enrolment included — and nothing
/// about sign-in is bypassed for the demo.
/// </summary>
internal sealed class DemoAccounts(IServiceScopeFactory scopes, PractitionerSignInOptions options, IConfiguration configuration, TimeProvider clock,
    ILogger<DemoAccounts> log) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var accounts = scope.ServiceProvider.GetRequiredService<PractitionerAccounts>();
        var database = scope.ServiceProvider.GetRequiredService<SignInDbContext>();
        var linkBase = Hosting.PublicOrigin.For(options.PublicBaseUrl, configuration);
        var now = clock.GetUtcNow();
        var invited = 0;
        foreach (var staff in DemoPartnership.Everyone)
        {
            if (await accounts.FindAsync(staff.Id, cancellationToken) is not null) continue;
            if (await database.Invitations.AnyAsync(i => i.PractitionerId == staff.Id.Value && i.AcceptedAt == null && i.ExpiresAt > now, cancellationToken))
                continue;
            var sent = await accounts.InviteAsync(staff.Agency.Id, DemoPartnership.PartnershipAdmin.Id,
                new NewInvitation(staff.Id, staff.Name, staff.Contact.Email!, staff.Roles), linkBase, cancellationToken);
            if (sent.Value is not null) invited++;
        }
        // The links themselves are secrets: only the count is logged.
        if (invited > 0) log.LogInformation("Invited {Count} demo practitioners; their one-time links are in the mail folder", invited);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
