using Patchwork.Core;
using Patchwork.Server.Api;
using Patchwork.Server.Api.Audit;
using Patchwork.Server.Feed;
using Patchwork.Server.SignIn;
using Patchwork.Web.Desk;

namespace Patchwork.Server.Web;

/// <summary>The pages' view of the practitioner's own notices, from the feed's notice table, audited as the API's list is.</summary>
public sealed class PageNoticeDesk(IHttpContextAccessor accessor, FeedNotices notices, RequestAudit audit) : INoticeDesk
{
    private HttpContext Http => accessor.HttpContext ?? throw new InvalidOperationException("The desk serves page requests only.");

    private CurrentActor Me => CurrentActor.From(Http.User) ?? throw new InvalidOperationException("A desk page admitted someone who is not a practitioner.");

    public async Task<IReadOnlyList<Notice>> RecentAsync(int count, CancellationToken cancellationToken)
    {
        var me = Me;
        var newest = await notices.NewestAsync(((Actor.Practitioner)me.Actor).Id, Math.Clamp(count, 1, FeedNotices.LargestPage), cancellationToken);
        await audit.AllowedAsync(Http, me, "notices.read", null, "OwnNotices");
        return [.. newest.Select(n => new Notice(n.Position, n.Kind, new ClientId(n.ClientId), n.SubjectId, n.At))];
    }

    public async Task<long?> LatestPositionAsync(CancellationToken cancellationToken) =>
        CurrentActor.From(Http.User)?.Actor is Actor.Practitioner practitioner && Http.User.HasClaim(PatchworkClaims.AuthenticationMethods, PatchworkClaims.MultiFactor)
            ? (await notices.NewestAsync(practitioner.Id, 1, cancellationToken)) is [var newest] ? newest.Position : 0
            : null;
}
