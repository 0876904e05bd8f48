using Patchwork.Core;
using Patchwork.Core.BreakGlass;
using Patchwork.Core.Clients;
using Patchwork.Server.Api;
using Patchwork.Server.Api.BreakGlass;
using Patchwork.Web.Desk;

namespace Patchwork.Server.Web;

/// <summary>
/// The review queue's desk, channel web: the queue's one read (<see cref="BreakGlassReviews.UsesAsync"/>) and the reviewing
/// slice's use case through the client's write pipeline, as the API's.
/// </summary>
public sealed class PageBreakGlassDesk(IHttpContextAccessor accessor, BreakGlassReviews reviews, ClientCommands commands, EventStore.EventStore store) : IBreakGlassDesk
{
    private HttpContext Http => DeskReading.Http(accessor);

    public bool Reviews => Core.Access.AccessPolicy.ReviewsBreakGlass(Api.CurrentActor.From(Http.User)?.Actor);

    public async Task<DeskOutcome<IReadOnlyList<BreakGlassUse>>> UsesAsync(bool reviewed, CancellationToken cancellationToken)
    {
        var me = DeskReading.Me(Http);
        var listed = await reviews.UsesAsync(Http, me, reviewed ? "reviewed" : "pending", cancellationToken);
        if (listed.Problem is { } problem) return DeskReading.Refusal<IReadOnlyList<BreakGlassUse>>(problem);
        var names = await DeskReading.PractitionersAsync(store, [me.Organisation], cancellationToken);
        return DeskOutcome<IReadOnlyList<BreakGlassUse>>.Done([.. listed.Value.Select(u => new BreakGlassUse(new GrantId(u.Grant), new ClientId(u.Client),
            names.GetValueOrDefault(new PractitionerId(u.Practitioner))?.Name ?? "A practitioner no longer registered", u.GrantedAt, u.ExpiresAt, u.Justification,
            u.Review?.Finding, u.Review?.ReviewedAt))]);
    }

    public Task<DeskOutcome<bool>> ReviewAsync(ClientId client, GrantId grant, string? finding, CancellationToken cancellationToken) =>
        DeskReading.CarryOutAsync(commands, Http, Reviewing.UseCase(client, grant, BreakGlassReviews.FindingNamed(finding), DeskReading.Me(Http).Actor),
            _ => true, cancellationToken);
}
