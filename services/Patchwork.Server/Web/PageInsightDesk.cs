using Patchwork.Core;
using Patchwork.Core.Insight;
using Patchwork.Server.Insight;
using Patchwork.Web.Desk;

namespace Patchwork.Server.Web;

/// <summary>The insight page's desk: the one read of the figures (<see cref="InsightReads"/>), so the page is refused and audited as the API is, channel web.</summary>
public sealed class PageInsightDesk(IHttpContextAccessor accessor, InsightReads reads) : IInsightDesk
{
    private HttpContext Http => DeskReading.Http(accessor);

    public InsightRights Rights
    {
        get
        {
            if (Api.CurrentActor.From(Http.User) is not { } me) return new InsightRights(false, false, false);
            return new InsightRights(InsightReads.Scope(me, "activity").Entitled, InsightReads.Scope(me, "access").Entitled, me.Holds(Roles.PartnershipAdmin));
        }
    }

    public async Task<DeskOutcome<InsightView>> ReadAsync(string view, string? basis, int? year, string? purpose, CancellationToken cancellationToken)
    {
        var figures = await reads.ReadAsync(Http, DeskReading.Me(Http), view, basis, year, purpose, cancellationToken);
        return DeskReading.Outcome(figures, view => view);
    }
}
