using System.Collections.Immutable;
using Microsoft.AspNetCore.Http.HttpResults;
using Patchwork.Core;
using Patchwork.Core.Agreements;
using Patchwork.Core.Clients;
using Patchwork.EventStore;
using Patchwork.Server.Api.Audit;
using Patchwork.Server.Api.Sharing;

namespace Patchwork.Server.Api.Agreements;

public sealed record MakeAgreementRequest(string? Name, IReadOnlyList<Guid>? Members, CategoriesBody? Categories, DateOnly? Start, DateOnly? End);

public sealed record AgreementMemberView(Guid OrganisationId, string Name);

public sealed record AgreementView(Guid AgreementId, string Name, IReadOnlyList<AgreementMemberView> Members, bool IncludesGeneral,
    IReadOnlyList<string> Categories, DateOnly Start, DateOnly? End, DateTimeOffset? EndedAt, bool Active);

/// <summary>
/// Information sharing agreements (DESIGN.md §2): a partnership admin makes and ends them, as the domain decides; a
/// partnership admin sees them all, and an organisation admin or DPO those their organisation signed. Partner systems and
/// other practitioners get 403. Every call is audited, refusals included; agreements name no client.
/// </summary>
public sealed class PartnershipAgreements(PartnershipCommandPipeline pipeline, ClientTeamReader reader, RequestAudit audit, TimeProvider clock)
{
    public async Task<Results<Ok<List<AgreementView>>, ValidationProblem, ProblemHttpResult>> ListAsync(HttpContext http, CurrentActor caller, Guid? after,
        int? limit, CancellationToken cancellationToken)
    {
        if (!Paging.TryLimit(limit, Paging.LargestLimit, out var count, out var badLimit)) return badLimit!;
        var listed = await AgreementsAsync(http, caller, after, count, cancellationToken);
        return listed.Problem is { } problem ? ApiProblems.From<Ok<List<AgreementView>>>(problem) : TypedResults.Ok(listed.Value);
    }

    /// <summary>
    /// The one read of the agreements, for the API and the admin pages: all of them to a partnership admin, its own
    /// organisation's to an organisation admin or a DPO, <paramref name="count"/> after <paramref name="after"/>; audited.
    /// </summary>
    public async Task<Result<List<AgreementView>>> AgreementsAsync(HttpContext http, CurrentActor caller, Guid? after, int count, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        const string action = "agreement.list";
        var (seesAll, seesOwn) = caller.Actor is Actor.Practitioner p
            ? (p.Holds(Roles.PartnershipAdmin), p.Holds(Roles.OrganisationAdmin) || p.Holds(Roles.DataProtectionOfficer))
            : (false, false);
        if (!seesAll && !seesOwn)
        {
            await audit.DeniedAsync(http, caller, action, null, "NotAdministrator");
            return Problem.Forbidden("only partnership admins, organisation admins and data protection officers read sharing agreements");
        }
        var partnership = await reader.PartnershipAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var shown = partnership.Agreements.Values.Where(a => seesAll || a.Members.Contains(caller.Organisation))
            .OrderByDescending(a => a.IsActive(now)).ThenByDescending(a => a.Start).ThenBy(a => a.Name, StringComparer.Ordinal)
            .Select(a => View(a, partnership, now)).ToList();
        var page = Paging.PageOf(http, shown, a => a.AgreementId, after, count);
        if (page.Problem is null) await audit.AllowedAsync(http, caller, action, null, seesAll ? "PartnershipAdmin" : "OwnOrganisation");
        return page;
    }

    public async Task<Results<Created<AgreementView>, ValidationProblem, ProblemHttpResult>> MakeAsync(HttpContext http, CurrentActor caller,
        MakeAgreementRequest? body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var useCase = Making.UseCase(categories => Making.Command(AgreementId.New(), body?.Name, body?.Members,
            body?.Categories is { } named ? (named.IncludesGeneral, named.Named) : null, body?.Start, body?.End, categories), caller.Actor);
        return await CarryOutAsync(http, caller, useCase, cancellationToken) switch
        {
            PartnershipActOutcome<AgreementMade>.Done { Event: var made, Partnership: var partnership } =>
                TypedResults.Created($"{ApiExtensions.Prefix}/agreements/{made.Agreement.Value}", View(SharingAgreement.From(made), partnership, clock.GetUtcNow())),
            PartnershipActOutcome<AgreementMade>.Refused { Problem: var problem } => ApiProblems.From<Created<AgreementView>>(problem),
            _ => ApiProblems.From<Created<AgreementView>>(Problem.Conflict("this agreement is already made")),
        };
    }

    public async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> EndAsync(HttpContext http, CurrentActor caller, Guid agreement,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return await CarryOutAsync(http, caller, Ending.UseCase(new EndAgreement(new AgreementId(agreement)), caller.Actor), cancellationToken) switch
        {
            PartnershipActOutcome<AgreementEnded>.Done => TypedResults.NoContent(),
            PartnershipActOutcome<AgreementEnded>.Refused { Problem: var problem } => ApiProblems.From<NoContent>(problem),
            _ => ApiProblems.From<NoContent>(Problem.Conflict("the agreement has already ended")),
        };
    }

    /// <summary>
    /// Carries out a partnership use case for a signed-in caller (the API and the pages): the pipeline commits the allowed
    /// entry with the event; a refusal or a lost race leaves its denied entry.
    /// </summary>
    public async Task<PartnershipActOutcome<TEvent>> CarryOutAsync<TEvent>(HttpContext http, CurrentActor caller, PartnershipUseCase<TEvent> useCase,
        CancellationToken cancellationToken)
        where TEvent : notnull
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(useCase);
        var outcome = await pipeline.HandleAsync(useCase, new EventMetadata(Correlation.Of(http), null, caller.Principal, caller.Organisation.Value),
            done => [audit.AllowedStatement(http, caller, useCase.Action, null, useCase.Rule(done), null, [])], cancellationToken);
        var refusal = outcome switch
        {
            PartnershipActOutcome<TEvent>.Done => null,
            PartnershipActOutcome<TEvent>.Refused { Problem: var problem } => problem.Field is null ? problem.Kind.ToString() : $"{problem.Kind}:{problem.Field}",
            _ => nameof(ProblemKind.Conflict),
        };
        if (refusal is not null) await audit.DeniedAsync(http, caller, useCase.Action, null, refusal);
        return outcome;
    }

    internal static AgreementView View(SharingAgreement agreement, Partnership partnership, DateTimeOffset now) => new(
        agreement.Id.Value, agreement.Name,
        [.. agreement.Members.Select(m => new AgreementMemberView(m.Value, partnership.Organisations.GetValueOrDefault(m)?.Name ?? "an organisation no longer registered"))
            .OrderBy(m => m.Name, StringComparer.OrdinalIgnoreCase)],
        agreement.Categories.IncludesGeneral, [.. agreement.Categories.Named.Select(c => c.Name).Order(StringComparer.Ordinal)],
        agreement.Start, agreement.End, agreement.EndedAt, agreement.IsActive(now));
}

public static class AgreementsApi
{
    internal const string PagedDescription =
        "Paged: limit (1 to 200, default 50) and after (the id of the last item of the previous page); when more follow, the Link header names the next page (rel=\"next\").";

    public static RouteGroupBuilder MapAgreementsApi(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        api.MapGet("/agreements", (Guid? after, int? limit, CurrentActor me, PartnershipAgreements agreements, HttpContext http, CancellationToken ct) =>
                agreements.ListAsync(http, me, after, limit, ct))
            .WithName("ListAgreements").WithDescription(PagedDescription);
        api.MapPost("/agreements", (MakeAgreementRequest body, CurrentActor me, PartnershipAgreements agreements, HttpContext http, CancellationToken ct) =>
            agreements.MakeAsync(http, me, body, ct)).WithName("MakeAgreement");
        api.MapPost("/agreements/{agreementId:guid}/end", (Guid agreementId, CurrentActor me, PartnershipAgreements agreements, HttpContext http, CancellationToken ct) =>
            agreements.EndAsync(http, me, agreementId, ct)).WithName("EndAgreement");
        return api;
    }
}
