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
        const string action = "practitioner.invite";
        var caller = CurrentActor.From(user);
        if (SignedInPractitioner.From(user) is not { } admin || !admin.AdministersOrganisation(organisation))
        {
            if (caller is not null) await audit.DeniedAsync(context, caller, action, null, caller.Organisation.Value == organisation ? "NotOrganisationAdmin" : "OtherOrganisation");
            return TypedResults.Forbid();
        }

        var errors = new Dictionary<string, string[]>();
        var name = body.Name?.Trim() ?? "";
        if (Text.Required(name, "name", 200) is not null) errors["name"] = ["Give the practitioner's name (at most 200 characters)."];
        if (!PractitionerAccounts.IsEmail(body.Email) || !Text.IsPlain(body.Email)) errors["email"] = ["Give a valid email address."];
        var roles = Roles.Practitioner;
        foreach (var requested in body.Roles ?? [])
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
        if (body.PractitionerId is { } named && !await practitioners.IsRegisteredToAsync(new PractitionerId(named), admin.Organisation, cancellationToken))
            errors["practitionerId"] = ["Is not a practitioner of your organisation; leave it out to invite someone new."];
        if (errors.Count > 0)
        {
            await audit.DeniedAsync(context, caller!, action, null, "Invalid:" + string.Join(',', errors.Keys));
            return TypedResults.ValidationProblem(errors);
        }

        var linkBase = Hosting.PublicOrigin.For(options.PublicBaseUrl, context.RequestServices.GetRequiredService<IConfiguration>());
        var sent = await accounts.InviteAsync(new OrganisationId(organisation), admin.Practitioner,
            new NewInvitation(body.PractitionerId is { } id ? new PractitionerId(id) : null, name, body.Email!, roles), linkBase, cancellationToken);
        if (sent.Status == StatusCodes.Status409Conflict)
        {
            await audit.DeniedAsync(context, caller!, action, null, "AlreadyHasAccountOrInvitation");
            return TypedResults.Problem(sent.Errors[0], statusCode: StatusCodes.Status409Conflict, title: "Already has an account or an invitation");
        }
        var invitation = sent.Value!;
        await audit.AllowedAsync(context, caller!, action, null, "OrganisationAdmin:" + invitation.Practitioner.Value);
        return TypedResults.Created($"/api/v1/organisations/{organisation}/invitations/{invitation.InvitationId}",
            new InvitationSent(invitation.InvitationId, invitation.Practitioner.Value, invitation.ExpiresAt));
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
