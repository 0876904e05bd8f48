using Microsoft.AspNetCore.Http.HttpResults;
using Patchwork.Core;
using Patchwork.Core.Access;
using Patchwork.Core.BreakGlass;
using Patchwork.Core.Clients;
using Patchwork.Server.Api.Audit;

namespace Patchwork.Server.Api.BreakGlass;

public sealed record ReviewBreakGlassRequest(string? Finding);

/// <summary>A DPO's review of one use: who reviewed it, when, and the finding (<c>justified</c> or <c>not-justified</c>).</summary>
public sealed record BreakGlassReviewResponse(Guid Grant, Guid Reviewer, string Finding, DateTimeOffset ReviewedAt);

/// <summary>One use of break-glass by a practitioner of the DPO's organisation, with the justification they wrote.</summary>
public sealed record BreakGlassUseResponse(Guid Grant, Guid Client, Guid Practitioner, DateTimeOffset GrantedAt, DateTimeOffset ExpiresAt, string Justification,
    BreakGlassReviewResponse? Review);

public sealed record BreakGlassUsesResponse(IReadOnlyList<BreakGlassUseResponse> Uses);

/// <summary>
/// The break-glass review queue (DESIGN.md §2): a data protection officer lists the uses of break-glass by their own
/// organisation's practitioners, reads each justification, and records a finding once. To anyone else the queue does not
/// exist (404); partner systems never reach it (403). Every read and every refusal is one audit entry.
/// </summary>
public sealed class BreakGlassReviews(ClientTeamReader reader, ClientCommands commands, RequestAudit audit, IServiceProvider services)
{
    public const string ReadAction = "break-glass.reviews.read";

    /// <summary>The purpose the queue's read is recorded with: opening the queue is stating it.</summary>
    public const string Purpose = "Reviewing break-glass use";

    /// <summary>The most uses one answer lists, newest first.</summary>
    public const int Largest = 200;

    public static string FindingName(BreakGlassFinding finding) => finding == BreakGlassFinding.Justified ? "justified" : "not-justified";

    public static BreakGlassFinding? FindingNamed(string? name) => name switch
    {
        "justified" => BreakGlassFinding.Justified,
        "not-justified" => BreakGlassFinding.NotJustified,
        _ => null,
    };

    /// <summary>The uses awaiting review (<paramref name="state"/> <c>pending</c>, the default) or already reviewed, newest first.</summary>
    public async Task<Results<Ok<BreakGlassUsesResponse>, ValidationProblem, ProblemHttpResult>> ListAsync(HttpContext http, CurrentActor caller, string? state,
        CancellationToken cancellationToken)
    {
        var uses = await UsesAsync(http, caller, state, cancellationToken);
        return uses.Problem is { } problem ? ApiProblems.From<Ok<BreakGlassUsesResponse>>(problem) : TypedResults.Ok(new BreakGlassUsesResponse(uses.Value));
    }

    /// <summary>
    /// The queue's one read, for the API and the pages: the uses by the DPO's organisation's practitioners in
    /// <paramref name="state"/>, with their justifications, audited with the queue's purpose; to anyone else, "no such
    /// review queue".
    /// </summary>
    public async Task<Result<IReadOnlyList<BreakGlassUseResponse>>> UsesAsync(HttpContext http, CurrentActor caller, string? state,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (!AccessPolicy.ReviewsBreakGlass(caller.Actor) || caller.Actor is not Actor.Practitioner dpo)
        {
            await audit.DeniedAsync(http, caller, ReadAction, null, "NotEntitled", Purpose);
            return Problem.NotFound("no such review queue");
        }
        if (state is not (null or "pending" or "reviewed"))
        {
            await audit.DeniedAsync(http, caller, ReadAction, null, "Invalid:state", Purpose);
            return Problem.Invalid("state", "give pending or reviewed");
        }
        var reviewed = state == "reviewed";
        var uses = new List<(ClientSharing Client, BreakGlassGrant Grant)>();
        foreach (var client in await reader.BrokenGlassByAsync(dpo.Organisation, cancellationToken))
            uses.AddRange(client.Grants.Values.Where(g => AccessPolicy.MayReview(dpo, g) && (g.Review is not null) == reviewed).Select(g => (client, g)));
        var newest = uses.OrderByDescending(u => u.Grant.GrantedAt).ThenBy(u => u.Grant.Id.Value).Take(Largest).ToList();

        var justifications = services.GetService<Justifications>();
        var answer = new List<BreakGlassUseResponse>(newest.Count);
        foreach (var clientUses in newest.GroupBy(u => u.Client.Client))
        {
            var kept = justifications is null ? new Dictionary<Guid, string>() : await justifications.OfClientAsync(clientUses.Key, cancellationToken);
            answer.AddRange(clientUses.Select(u => new BreakGlassUseResponse(u.Grant.Id.Value, u.Client.Client.Value, u.Grant.Practitioner.Value, u.Grant.GrantedAt,
                u.Grant.ExpiresAt, Justifications.Show(kept, u.Grant.Id.Value), Review(u.Grant))));
        }
        await audit.AllowedAsync(http, caller, ReadAction, null, "DataProtectionOfficer:" + (reviewed ? "reviewed" : "pending"), Purpose);
        return answer.OrderByDescending(u => u.GrantedAt).ThenBy(u => u.Grant).ToList();
    }

    /// <summary>
    /// Records a finding, through the client command pipeline. The client need only exist: the decision asks the policy
    /// whether the caller reviews this grant, and a grant that is not theirs to review is a 404 there, as if it did not exist.
    /// </summary>
    public Task<Results<Ok<BreakGlassReviewResponse>, ValidationProblem, ProblemHttpResult>> ReviewAsync(HttpContext http, CurrentActor caller, ClientId client,
        GrantId grant, string? finding, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return commands.HandleAsync(http, caller, Reviewing.UseCase(client, grant, FindingNamed(finding), caller.Actor),
            reviewed => TypedResults.Ok(new BreakGlassReviewResponse(reviewed.Grant.Value, reviewed.Reviewer.Value, FindingName(reviewed.Finding), reviewed.At)),
            cancellationToken);
    }

    public static BreakGlassReviewResponse? Review(BreakGlassGrant grant) =>
        grant?.Review is { } review ? new BreakGlassReviewResponse(grant.Id.Value, review.Reviewer.Value, FindingName(review.Finding), review.At) : null;
}

public static class BreakGlassReviewsApi
{
    public static RouteGroupBuilder MapBreakGlassReviewsApi(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        api.MapGet("/break-glass/reviews", (string? state, CurrentActor me, BreakGlassReviews reviews, HttpContext http, CancellationToken ct) =>
                reviews.ListAsync(http, me, state, ct))
            .WithName("ListBreakGlassUsesToReview");

        api.MapPost("/clients/{clientId}/break-glass/{grantId}/review", (Guid clientId, Guid grantId, ReviewBreakGlassRequest body, CurrentActor me,
                BreakGlassReviews reviews, HttpContext http, CancellationToken ct) =>
                reviews.ReviewAsync(http, me, new ClientId(clientId), new GrantId(grantId), body.Finding, ct))
            .WithName("ReviewBreakGlassUse");
        return api;
    }
}
