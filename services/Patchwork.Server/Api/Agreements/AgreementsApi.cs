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
public sealed class PartnershipAgreements(EventStore.EventStore store, ClientTeamReader reader, RequestAudit audit, TimeProvider clock)
{
    public async Task<Results<Ok<List<AgreementView>>, ValidationProblem, ProblemHttpResult>> ListAsync(HttpContext http, CurrentActor caller, Guid? after,
        int? limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        const string action = "agreement.list";
        if (!Paging.TryLimit(limit, Paging.LargestLimit, out var count, out var badLimit)) return badLimit!;
        var (seesAll, seesOwn) = caller.Actor is Actor.Practitioner p
            ? (p.Holds(Roles.PartnershipAdmin), p.Holds(Roles.OrganisationAdmin) || p.Holds(Roles.DataProtectionOfficer))
            : (false, false);
        if (!seesAll && !seesOwn)
        {
            await audit.DeniedAsync(http, caller, action, null, "NotAdministrator");
            return ApiProblems.Forbidden("only partnership admins, organisation admins and data protection officers read sharing agreements");
        }
        var partnership = await reader.PartnershipAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var shown = partnership.Agreements.Values.Where(a => seesAll || a.Members.Contains(caller.Organisation))
            .OrderByDescending(a => a.IsActive(now)).ThenByDescending(a => a.Start).ThenBy(a => a.Name, StringComparer.Ordinal)
            .Select(a => View(a, partnership, now)).ToList();
        if (Paging.Page(http, shown, a => a.AgreementId, after, count, out var badAfter) is not { } page) return badAfter!;
        await audit.AllowedAsync(http, caller, action, null, seesAll ? "PartnershipAdmin" : "OwnOrganisation");
        return TypedResults.Ok(page);
    }

    public async Task<Results<Created<AgreementView>, ValidationProblem, ProblemHttpResult>> MakeAsync(HttpContext http, CurrentActor caller,
        MakeAgreementRequest? body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        const string action = "agreement.make";
        var partnership = await reader.PartnershipAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var command = body?.Categories is null
            ? Problem.Invalid("categories", "give the categories the agreement covers")
            : body.Categories.ToScope(partnership.Categories) is { Problem: { } invalid } ? invalid : null;
        command ??= body?.Start is null ? Problem.Invalid("start", "give the agreement's first day") : null;
        var decision = command is null
            ? Making.Decide(partnership, new MakeAgreement(AgreementId.New(), body!.Name ?? "", (body.Members ?? []).Select(m => new OrganisationId(m)).ToImmutableHashSet(),
                body.Categories!.ToScope(partnership.Categories).Value!, body.Start!.Value, body.End), caller.Actor, now)
            : (Result<AgreementMade>)command;
        if (decision.Problem is { } problem) return await DeniedAsync<Created<AgreementView>>(http, caller, action, problem);

        var made = decision.Value!;
        // The partnership's events are serialised: the write transaction takes the partnership's lock before Marten folds the
        // agreement into the partnership's document.
        await using var write = await store.OpenWriteTransactionAsync(new EventMetadata(Correlation.Of(http), null, caller.Principal, caller.Organisation.Value), cancellationToken);
        write.Session.Events.StartStream(made.Agreement.Value, made);
        audit.AllowedWith(write, http, caller, action, null, "PartnershipAdmin:" + made.Agreement.Value);
        if (!await write.CommitAsync(cancellationToken))
            return await DeniedAsync<Created<AgreementView>>(http, caller, action, Problem.Conflict("this agreement is already made"));
        var agreement = SharingAgreement.From(made);
        return TypedResults.Created($"{ApiExtensions.Prefix}/agreements/{made.Agreement.Value}", View(agreement, partnership, now));
    }

    public async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> EndAsync(HttpContext http, CurrentActor caller, Guid agreement,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        const string action = "agreement.end";
        var partnership = await reader.PartnershipAsync(cancellationToken);
        var decision = Ending.Decide(partnership, new EndAgreement(new AgreementId(agreement)), caller.Actor, clock.GetUtcNow());
        if (decision.Problem is { } problem) return await DeniedAsync<NoContent>(http, caller, action, problem);

        await using var write = await store.OpenWriteTransactionAsync(new EventMetadata(Correlation.Of(http), null, caller.Principal, caller.Organisation.Value), cancellationToken);
        // An agreement's stream holds the one event that made it until it is ended: two admins ending it at once append once
        // (Marten's expected version is the stream's version after the append).
        write.Session.Events.Append(agreement, 2, decision.Value!);
        audit.AllowedWith(write, http, caller, action, null, "PartnershipAdmin:" + agreement);
        if (!await write.CommitAsync(cancellationToken))
            return await DeniedAsync<NoContent>(http, caller, action, Problem.Conflict("the agreement has already ended"));
        return TypedResults.NoContent();
    }

    private async Task<Results<TSuccess, ValidationProblem, ProblemHttpResult>> DeniedAsync<TSuccess>(HttpContext http, CurrentActor caller, string action,
        Problem problem) where TSuccess : IResult
    {
        await audit.DeniedAsync(http, caller, action, null, problem.Field is null ? problem.Kind.ToString() : $"{problem.Kind}:{problem.Field}");
        return ApiProblems.From<TSuccess>(problem);
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
