using Microsoft.EntityFrameworkCore;
using Patchwork.Core;
using Patchwork.Core.Clients;
using Patchwork.Server.SignIn;

namespace Patchwork.Server.Domain;

/// <summary>
/// Which organisation a practitioner actively works for, from the two records that say so: the partnership's register
/// (<c>practitioner.registered.v1</c>) and the account an invitation made. A disabled account, or two records that
/// disagree, make them no one's: an id alone never carries authority across organisations (DESIGN §3 rules 13 and 14).
/// </summary>
public sealed class PractitionerDirectory(ClientTeamReader reader, IServiceScopeFactory scopes)
{
    public async Task<OrganisationId?> ActiveOrganisationOfAsync(PractitionerId practitioner, CancellationToken cancellationToken)
    {
        var partnership = await reader.PartnershipAsync(cancellationToken);
        OrganisationId? registered = partnership.Practitioners.TryGetValue(practitioner, out var organisation) ? organisation : null;
        await using var scope = scopes.CreateAsyncScope();
        var accounts = scope.ServiceProvider.GetService<SignInDbContext>();
        var account = accounts is null ? null : await accounts.Users.AsNoTracking()
            .Where(u => u.PractitionerId == practitioner.Value)
            .Select(u => new { u.OrganisationId, u.Disabled })
            .SingleOrDefaultAsync(cancellationToken);
        if (account is null) return registered;
        if (account.Disabled) return null;
        return registered is null || registered.Value.Value == account.OrganisationId ? new OrganisationId(account.OrganisationId) : null;
    }

    /// <summary>Whether the id is registered to <paramref name="organisation"/> in the partnership's register.</summary>
    public async Task<bool> IsRegisteredToAsync(PractitionerId practitioner, OrganisationId organisation, CancellationToken cancellationToken) =>
        (await reader.PartnershipAsync(cancellationToken)).Practitioners.TryGetValue(practitioner, out var registered) && registered == organisation;
}
