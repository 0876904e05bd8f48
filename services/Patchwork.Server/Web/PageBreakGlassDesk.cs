using Microsoft.AspNetCore.Http.HttpResults;
using Patchwork.Core;
using Patchwork.Server.Api.BreakGlass;
using Patchwork.Web.Desk;

namespace Patchwork.Server.Web;

/// <summary>The review queue's desk: the API's list and review (<see cref="BreakGlassReviews"/>), channel web.</summary>
public sealed class PageBreakGlassDesk(IHttpContextAccessor accessor, BreakGlassReviews reviews, EventStore.EventStore store) : IBreakGlassDesk
{
    private HttpContext Http => DeskReading.Http(accessor);

    public bool Reviews => Core.Access.AccessPolicy.ReviewsBreakGlass(Api.CurrentActor.From(Http.User)?.Actor);

    public async Task<DeskOutcome<IReadOnlyList<BreakGlassUse>>> UsesAsync(bool reviewed, CancellationToken cancellationToken)
    {
        var me = DeskReading.Me(Http);
        var answer = (await reviews.ListAsync(Http, me, reviewed ? "reviewed" : "pending", cancellationToken)).Result;
        if (answer is not Ok<BreakGlassUsesResponse> { Value: { } listed })
            return DeskReading.Outcome(Http, answer, (BreakGlassUsesResponse _) => (IReadOnlyList<BreakGlassUse>)[]);
        var names = await DeskReading.PractitionersAsync(store, [me.Organisation], cancellationToken);
        return DeskOutcome<IReadOnlyList<BreakGlassUse>>.Done([.. listed.Uses.Select(u => new BreakGlassUse(new GrantId(u.Grant), new ClientId(u.Client),
            names.GetValueOrDefault(new PractitionerId(u.Practitioner))?.Name ?? "A practitioner no longer registered", u.GrantedAt, u.ExpiresAt, u.Justification,
            u.Review?.Finding, u.Review?.ReviewedAt))]);
    }

    public async Task<DeskOutcome<bool>> ReviewAsync(ClientId client, GrantId grant, string? finding, CancellationToken cancellationToken) =>
        DeskReading.Outcome(Http, await reviews.ReviewAsync(Http, DeskReading.Me(Http), client, grant, finding, cancellationToken), (BreakGlassReviewResponse _) => true);
}
