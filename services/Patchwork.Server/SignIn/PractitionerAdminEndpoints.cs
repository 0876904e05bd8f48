using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Patchwork.Core;
using Patchwork.Server.Api;
using Patchwork.Server.Api.Audit;

namespace Patchwork.Server.SignIn;

/// <summary>The signed-in practitioner as the session's claims describe them.</summary>
public sealed record SignedInPractitioner(PractitionerId Practitioner, OrganisationId Organisation, Roles Roles)
{
    public static SignedInPractitioner? From(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (!Guid.TryParse(user.FindFirstValue(PatchworkClaims.Practitioner), out var practitioner) ||
            !Guid.TryParse(user.FindFirstValue(PatchworkClaims.Organisation), out var organisation)) return null;
        var roles = user.FindAll(PatchworkClaims.Role).Aggregate(Roles.None,
            (held, claim) => Enum.TryParse<Roles>(claim.Value, ignoreCase: false, out var role) && Enum.IsDefined(role) ? held | role : held);
        return new SignedInPractitioner(new PractitionerId(practitioner), new OrganisationId(organisation), roles);
    }

    public bool AdministersOrganisation(Guid organisation) => Organisation.Value == organisation && Roles.HasFlag(Roles.OrganisationAdmin);
}

/// <summary>The practitioner probe, invitations and disabling accounts, under /api/v1 (cookie sessions past the second factor only).</summary>
internal static class PractitionerAdminEndpoints
{
    public sealed record Me(Guid PractitionerId, Guid OrganisationId, IReadOnlyList<string> Roles);

    public sealed record InvitationRequest(string? Name, string? Email, string[]? Roles, Guid? PractitionerId);

    public sealed record InvitationSent(Guid InvitationId, Guid PractitionerId, DateTimeOffset ExpiresAt);

    public static void MapPractitionerAdmin(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").RequireAuthorization(PatchworkClaims.PractitionerPolicy).AnswersProblems();
        api.MapGet("/me", WhoAmI);
        api.MapPost("/organisations/{organisation:guid}/invitations", Invite).RequireAntiforgeryToken();
        api.MapPost("/practitioners/{practitioner:guid}/disable", Disable).RequireAntiforgeryToken();
    }

    private static Results<Ok<Me>, UnauthorizedHttpResult> WhoAmI(ClaimsPrincipal user) =>
        SignedInPractitioner.From(user) is { } me
            ? TypedResults.Ok(new Me(me.Practitioner.Value, me.Organisation.Value, PractitionerPrincipalFactory.RoleNames(me.Roles).ToList()))
            : TypedResults.Unauthorized();

    internal static async Task<Results<Created<InvitationSent>, ValidationProblem, ForbidHttpResult, ProblemHttpResult>> Invite(
        Guid organisation, InvitationRequest body, ClaimsPrincipal user, HttpContext context, PractitionerAccounts accounts,
        PractitionerSignInOptions options, RequestAudit audit, Domain.PractitionerDirectory practitioners, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        var sent = await InviteAsync(organisation, new Invitee(body.Name, body.Email, body.Roles, body.PractitionerId), user, context, accounts, options, audit,
            practitioners, cancellationToken);
        return sent.Problem switch
        {
            { Kind: ProblemKind.Forbidden } => TypedResults.Forbid(),
            { Kind: ProblemKind.Conflict } taken => TypedResults.Problem(taken.Detail, statusCode: StatusCodes.Status409Conflict, title: "Already has an account or an invitation"),
            { Errors: { } errors } => TypedResults.ValidationProblem(errors),
            { } problem => TypedResults.Problem(problem.Detail, statusCode: StatusCodes.Status400BadRequest),
            null => TypedResults.Created($"/api/v1/organisations/{organisation}/invitations/{sent.Value.InvitationId}", sent.Value),
        };
    }

    /// <summary>Someone to invite, as any door reads them: the name, the address, the roles asked for, and an id from the organisation's register, if any.</summary>
    public sealed record Invitee(string? Name, string? Email, IReadOnlyList<string>? Roles, Guid? PractitionerId);

    /// <summary>
    /// The one invitation, for the API and the admin pages: an admin of <paramref name="organisation"/> only; the form
    /// checked whole, with no role granted that the admin does not hold (rule 13) and no other organisation's practitioner
    /// taken over; one invitation per address. Every outcome audited.
    /// </summary>
    internal static async Task<Result<InvitationSent>> InviteAsync(Guid organisation, Invitee invitee, ClaimsPrincipal user, HttpContext context,
        PractitionerAccounts accounts, PractitionerSignInOptions options, RequestAudit audit, Domain.PractitionerDirectory practitioners,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invitee);
        ArgumentNullException.ThrowIfNull(accounts);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(audit);
        ArgumentNullException.ThrowIfNull(practitioners);
        const string action = "practitioner.invite";
        var caller = CurrentActor.From(user);
        if (SignedInPractitioner.From(user) is not { } admin || !admin.AdministersOrganisation(organisation))
        {
            if (caller is not null) await audit.DeniedAsync(context, caller, action, null, caller.Organisation.Value == organisation ? "NotOrganisationAdmin" : "OtherOrganisation");
            return Problem.Forbidden("only an organisation admin of this organisation invites its practitioners");
        }

        var errors = new Dictionary<string, string[]>();
        var name = invitee.Name?.Trim() ?? "";
        if (Text.Required(name, "name", 200) is not null) errors["name"] = ["Give the practitioner's name (at most 200 characters)."];
        if (!PractitionerAccounts.IsEmail(invitee.Email) || !Text.IsPlain(invitee.Email)) errors["email"] = ["Give a valid email address."];
        var roles = Roles.Practitioner;
        foreach (var requested in invitee.Roles ?? [])
        {
            if (Enum.TryParse<Roles>(requested, ignoreCase: false, out var role) && role != Roles.None && Enum.IsDefined(role)) roles |= role;
            else errors["roles"] = [$"'{requested}' is not a role."];
        }
        // DESIGN §3 rule 13: no one grants a role they do not hold, and the data protection officer role (which reads
        // subject access exports) is the partnership's to grant.
        if (!errors.ContainsKey("roles") && RoleGrants.GrantableBy(admin.Roles) is var grantable && (roles & ~grantable) != Roles.None)
            errors["roles"] = [$"You may grant only {string.Join(", ", PractitionerPrincipalFactory.RoleNames(grantable))}."];
        // An id names someone of the admin's own organisation's register, or no one yet: an account never takes over
        // another organisation's practitioner.
        if (invitee.PractitionerId is { } named && !await practitioners.IsRegisteredToAsync(new PractitionerId(named), admin.Organisation, cancellationToken))
            errors["practitionerId"] = ["Is not a practitioner of your organisation; leave it out to invite someone new."];
        if (errors.Count > 0)
        {
            await audit.DeniedAsync(context, caller!, action, null, "Invalid:" + string.Join(',', errors.Keys));
            return Problem.Invalid(errors);
        }

        var linkBase = Hosting.PublicOrigin.For(options.PublicBaseUrl, context.RequestServices.GetRequiredService<IConfiguration>());
        var sent = await accounts.InviteAsync(new OrganisationId(organisation), admin.Practitioner,
            new NewInvitation(invitee.PractitionerId is { } id ? new PractitionerId(id) : null, name, invitee.Email!, roles), linkBase, cancellationToken);
        if (sent.Status == StatusCodes.Status409Conflict)
        {
            await audit.DeniedAsync(context, caller!, action, null, "AlreadyHasAccountOrInvitation");
            return Problem.Conflict(sent.Errors[0]);
        }
        var invitation = sent.Value!;
        await audit.AllowedAsync(context, caller!, action, null, "OrganisationAdmin:" + invitation.Practitioner.Value);
        return new InvitationSent(invitation.InvitationId, invitation.Practitioner.Value, invitation.ExpiresAt);
    }

    /// <summary>Another organisation's practitioner is "not found": an admin learns nothing about accounts outside their own.</summary>
    private static async Task<Results<NoContent, ProblemHttpResult, ForbidHttpResult>> Disable(Guid practitioner, ClaimsPrincipal user, HttpContext context,
        PractitionerAccounts accounts, RequestAudit audit, CancellationToken cancellationToken)
    {
        const string action = "practitioner.disable";
        var caller = CurrentActor.From(user);
        if (SignedInPractitioner.From(user) is not { } admin || !admin.Roles.HasFlag(Roles.OrganisationAdmin))
        {
            if (caller is not null) await audit.DeniedAsync(context, caller, action, null, "NotOrganisationAdmin:" + practitioner);
            return TypedResults.Forbid();
        }
        if (!await accounts.DisableAsync(new PractitionerId(practitioner), admin.Organisation, cancellationToken))
        {
            await audit.DeniedAsync(context, caller!, action, null, "NoSuchPractitioner:" + practitioner);
            // A problem, as every other API 404 (the document says so); a bare NotFound documented "404, no body" and got one from the status code pages.
            return TypedResults.Problem("no such practitioner in your organisation", statusCode: StatusCodes.Status404NotFound, title: "Not found");
        }
        await audit.AllowedAsync(context, caller!, action, null, "OrganisationAdmin:" + practitioner);
        return TypedResults.NoContent();
    }
}
