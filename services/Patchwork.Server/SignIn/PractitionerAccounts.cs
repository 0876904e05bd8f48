using System.Net.Mail;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Patchwork.Core;

namespace Patchwork.Server.SignIn;

public sealed record NewPractitionerAccount(PractitionerId Practitioner, OrganisationId Organisation, string DisplayName,
    string Email, Roles Roles, string Password);

public sealed record NewInvitation(PractitionerId? Practitioner, string DisplayName, string Email, Roles Roles);

public sealed record SentInvitation(Guid InvitationId, PractitionerId Practitioner, DateTimeOffset ExpiresAt);

/// <summary>Creates, invites and disables practitioner accounts; used by the endpoints, tests and seeding.</summary>
public sealed class PractitionerAccounts(UserManager<ApplicationUser> users, SignInDbContext database, SessionGate sessions,
    SessionRevocations revocations, IMailSender mail, PractitionerSignInOptions options, TimeProvider clock)
{
    public async Task<IdentityResult> CreateAsync(NewPractitionerAccount account, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(account);
        cancellationToken.ThrowIfCancellationRequested();
        var user = new ApplicationUser
        {
            Id = Guid.CreateVersion7(),
            UserName = account.Email,
            Email = account.Email,
            EmailConfirmed = true,
            PractitionerId = account.Practitioner.Value,
            OrganisationId = account.Organisation.Value,
            DisplayName = account.DisplayName,
            Roles = account.Roles,
            LockoutEnabled = true,
        };
        return await users.CreateAsync(user, account.Password);
    }

    public Task<ApplicationUser?> FindAsync(PractitionerId practitioner, CancellationToken cancellationToken) =>
        database.Users.SingleOrDefaultAsync(u => u.PractitionerId == practitioner.Value, cancellationToken);

    /// <summary>The data protection officers with a working account in any of <paramref name="organisations"/>, in id order.</summary>
    public async Task<IReadOnlyList<(PractitionerId Practitioner, OrganisationId Organisation)>> DataProtectionOfficersAsync(
        IReadOnlyCollection<OrganisationId> organisations, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(organisations);
        var ids = organisations.Select(o => o.Value).ToList();
        var officers = await database.Users
            .Where(u => ids.Contains(u.OrganisationId) && !u.Disabled && (u.Roles & Roles.DataProtectionOfficer) != 0)
            .OrderBy(u => u.PractitionerId)
            .Select(u => new { u.PractitionerId, u.OrganisationId })
            .ToListAsync(cancellationToken);
        return [.. officers.Select(u => (new PractitionerId(u.PractitionerId), new OrganisationId(u.OrganisationId)))];
    }

    /// <summary>Disables the account of a practitioner of <paramref name="organisation"/>; false when there is none there.</summary>
    public async Task<bool> DisableAsync(PractitionerId practitioner, OrganisationId organisation, CancellationToken cancellationToken)
    {
        var user = await FindAsync(practitioner, cancellationToken);
        if (user is null || user.OrganisationId != organisation.Value) return false;
        user.Disabled = true;
        // The new stamp ends sessions on other nodes too, at their next stamp check.
        var result = await users.UpdateSecurityStampAsync(user);
        if (!result.Succeeded) throw new InvalidOperationException($"Disabling {practitioner} failed: {string.Join("; ", result.Errors.Select(e => e.Code))}");
        sessions.Forget(user.Id);
        await revocations.AnnounceAsync(user.Id, CancellationToken.None);
        return true;
    }

    /// <summary>Ends every session of the account, e.g. after a lost phone; the caller refreshes its own if it should stay.</summary>
    public async Task EndEverySessionAsync(ApplicationUser user)
    {
        ArgumentNullException.ThrowIfNull(user);
        var result = await users.UpdateSecurityStampAsync(user);
        if (!result.Succeeded) throw new InvalidOperationException("The security stamp could not be changed.");
        sessions.Forget(user.Id);
        await revocations.AnnounceAsync(user.Id, CancellationToken.None);
    }

    public async Task<AccountResult<SentInvitation>> InviteAsync(OrganisationId organisation, PractitionerId invitedBy, NewInvitation invitation,
        Uri linkBase, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invitation);
        ArgumentNullException.ThrowIfNull(linkBase);
        if (await users.FindByEmailAsync(invitation.Email) is not null)
            return AccountResult<SentInvitation>.Conflict("An account with this email address already exists.");
        var practitioner = invitation.Practitioner ?? new PractitionerId(Guid.CreateVersion7());
        if (await FindAsync(practitioner, cancellationToken) is not null)
            return AccountResult<SentInvitation>.Conflict("This practitioner already has an account.");
        var now = clock.GetUtcNow();
        if (await database.Invitations.AnyAsync(i => i.PractitionerId == practitioner.Value && i.AcceptedAt == null && i.ExpiresAt > now, cancellationToken))
            return AccountResult<SentInvitation>.Conflict("This practitioner already has an invitation that has not expired.");

        var token = Invitation.NewToken();
        var row = new Invitation
        {
            Id = Guid.CreateVersion7(),
            TokenHash = Invitation.Hash(token),
            OrganisationId = organisation.Value,
            PractitionerId = practitioner.Value,
            DisplayName = invitation.DisplayName,
            Email = invitation.Email,
            Roles = invitation.Roles,
            InvitedBy = invitedBy.Value,
            CreatedAt = now,
            ExpiresAt = now + options.InvitationLifetime,
        };
        database.Invitations.Add(row);
        await database.SaveChangesAsync(cancellationToken);

        var link = new Uri(linkBase, $"account/invitations/{token}");
        await mail.SendAsync(new OutgoingMail(invitation.DisplayName, invitation.Email, "Your Patchwork account",
            $"""
            Hello {invitation.DisplayName},

            You have been invited to Patchwork. Open this link to choose a password and set up your account:

            {link}

            The link works once and expires at {row.ExpiresAt:yyyy-MM-dd HH:mm} UTC. If you did not expect it, ignore this message.
            """), cancellationToken);
        return AccountResult<SentInvitation>.Ok(new SentInvitation(row.Id, practitioner, row.ExpiresAt));
    }

    /// <summary>Spends the invitation and creates its account in one transaction: a rejected password leaves the link usable.</summary>
    public async Task<AccountResult<PractitionerId>> AcceptInvitationAsync(string token, string password, CancellationToken cancellationToken)
    {
        var hash = Invitation.Hash(token);
        var now = clock.GetUtcNow();
        await using var transaction = await database.Database.BeginTransactionAsync(cancellationToken);
        // The conditional update is the "works once" guarantee, even for two requests racing with one link.
        var spent = await database.Invitations
            .Where(i => i.TokenHash == hash && i.AcceptedAt == null && i.ExpiresAt > now)
            .ExecuteUpdateAsync(set => set.SetProperty(i => i.AcceptedAt, now), cancellationToken);
        if (spent != 1) return AccountResult<PractitionerId>.NotFound();
        var invitation = await database.Invitations.AsNoTracking().SingleAsync(i => i.TokenHash == hash, cancellationToken);
        // Someone else's invitation for the same practitioner was accepted first: this link names an account that exists.
        if (await FindAsync(new PractitionerId(invitation.PractitionerId), cancellationToken) is not null) return AccountResult<PractitionerId>.NotFound();
        var created = await CreateAsync(new NewPractitionerAccount(new PractitionerId(invitation.PractitionerId),
            new OrganisationId(invitation.OrganisationId), invitation.DisplayName, invitation.Email, invitation.Roles, password), cancellationToken);
        if (!created.Succeeded) return AccountResult<PractitionerId>.Invalid(created.Errors.Select(e => e.Description).ToArray());
        await transaction.CommitAsync(cancellationToken);
        return AccountResult<PractitionerId>.Ok(new PractitionerId(invitation.PractitionerId));
    }

    public static bool IsEmail(string? value) =>
        value is { Length: > 3 and <= 256 } && MailAddress.TryCreate(value, out var parsed) && parsed.Address == value && parsed.DisplayName.Length == 0;
}

/// <summary>An account operation's outcome, mapped to HTTP by the endpoints.</summary>
public sealed record AccountResult<T>(T? Value, int Status, string[] Errors)
{
    public static AccountResult<T> Ok(T value) => new(value, StatusCodes.Status200OK, []);

    public static AccountResult<T> Conflict(string error) => new(default, StatusCodes.Status409Conflict, [error]);

    public static AccountResult<T> NotFound() => new(default, StatusCodes.Status404NotFound, []);

    public static AccountResult<T> Invalid(string[] errors) => new(default, StatusCodes.Status400BadRequest, errors);
}
