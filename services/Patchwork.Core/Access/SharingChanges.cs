using Patchwork.Core.Attention;
using Patchwork.Core.BreakGlass;
using Patchwork.Core.ContactRequests;
using Patchwork.Core.Involvements;

namespace Patchwork.Core.Access;

/// <summary>What one recorded event changed for one viewer: the kinds of news DESIGN.md §4 tells.</summary>
public enum SharingChangeKind
{
    BecameVisible,
    NoLongerShared,
    Changed,
    Ended,
    AttentionRaised,
    BreakGlassUsed,
    ContactRequested,
    ContactAnswered,
}

/// <summary>One piece of news for a viewer; <paramref name="Subject"/> is the involvement, attention, grant or request it is about.</summary>
public readonly record struct SharingChange(SharingChangeKind Kind, Guid Subject);

/// <summary>
/// Which involvements a viewer was told became visible, as the relay keeps it: a "no longer shared" goes only to someone
/// who was told, or the notice itself would disclose the involvement. <see cref="Forget"/> answers whether it was told.
/// </summary>
public sealed record ToldInvolvements(Action<InvolvementId> Tell, Func<InvolvementId, bool> Forget);

/// <summary>
/// The one decision of what an event means to a viewer, for every channel that tells (the live feed per practitioner, the
/// partner bus per organisation): it compares what the access policy shows the viewer before the event, after it, and now,
/// at delivery, so nothing queued in the log is told once a withdrawal has hidden it. A practitioner is not told of their
/// own involvements or their own acts; an organisation hears of everything its partner system may see.
/// </summary>
public static class SharingChanges
{
    public static IReadOnlyList<SharingChange> For(object @event, ClientSharing before, ClientSharing after, ClientSharing current, Partnership partnership,
        Viewer viewer, DateTimeOffset now, PolicyOptions policy, ToldInvolvements told)
    {
        ArgumentNullException.ThrowIfNull(@event);
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(viewer);
        ArgumentNullException.ThrowIfNull(told);
        var (seenBefore, seenAfter, seenNow) = (Visible(before, partnership, viewer, now, policy), Visible(after, partnership, viewer, now, policy),
            Visible(current, partnership, viewer, now, policy));
        var own = viewer is Viewer.Practitioner practitioner
            ? current.Involvements.Values.Where(i => i.Practitioner == practitioner.Id && i.Organisation == practitioner.Organisation).Select(i => i.Id).ToHashSet()
            : [];
        return [.. Decide(@event, viewer, own, seenBefore, seenAfter, seenNow, current, told)];
    }

    private static IEnumerable<SharingChange> Decide(object @event, Viewer viewer, HashSet<InvolvementId> own, HashSet<InvolvementId> seenBefore,
        HashSet<InvolvementId> seenAfter, HashSet<InvolvementId> seenNow, ClientSharing current, ToldInvolvements told)
    {
        foreach (var gained in seenAfter.Except(seenBefore).Where(i => seenNow.Contains(i) && !own.Contains(i)))
        {
            told.Tell(gained);
            yield return new(SharingChangeKind.BecameVisible, gained.Value);
        }
        // Not why, nor by whom: only that an involvement they were told of is no longer shared with them.
        foreach (var lost in seenBefore.Except(seenAfter).Where(i => !seenNow.Contains(i) && !own.Contains(i) && told.Forget(i)))
            yield return new(SharingChangeKind.NoLongerShared, lost.Value);

        var practitioner = viewer as Viewer.Practitioner;
        // On the team now: the practitioner's own active involvement, or (for a partner system) any of its organisation's.
        var onTeamNow = current.Involvements.Values.Any(i => i.IsActive && i.Organisation == viewer.Organisation && (practitioner is null || i.Practitioner == practitioner.Id));
        switch (@event)
        {
            case InvolvementRoleOrContactChanged changed when seenBefore.Contains(changed.Involvement) && seenNow.Contains(changed.Involvement) && !own.Contains(changed.Involvement):
                yield return new(SharingChangeKind.Changed, changed.Involvement.Value);
                break;
            case InvolvementEnded ended when seenAfter.Contains(ended.Involvement) && seenNow.Contains(ended.Involvement) && !own.Contains(ended.Involvement):
                yield return new(SharingChangeKind.Ended, ended.Involvement.Value);
                break;
            case AttentionRaised raised when onTeamNow && raised.Practitioner != practitioner?.Id:
                yield return new(SharingChangeKind.AttentionRaised, raised.Attention.Value);
                break;
            case BreakGlassGranted granted when onTeamNow && granted.Practitioner != practitioner?.Id:
                yield return new(SharingChangeKind.BreakGlassUsed, granted.Grant.Value);
                break;
            // A request goes to whoever holds the involvement it asks about: its practitioner, or its organisation's system.
            case ContactRequested asked when practitioner is null
                ? current.Involvements.TryGetValue(asked.Involvement, out var wanted) && wanted.Organisation == viewer.Organisation
                : own.Contains(asked.Involvement):
                yield return new(SharingChangeKind.ContactRequested, asked.Request.Value);
                break;
            // An answer goes back to whoever asked: the practitioner, or their organisation's system.
            case ContactRequestAnswered answered when current.ContactRequests.TryGetValue(answered.Request, out var request)
                                                     && request.RequesterOrganisation == viewer.Organisation
                                                     && (practitioner is null || request.Requester == practitioner.Id):
                yield return new(SharingChangeKind.ContactAnswered, answered.Request.Value);
                break;
        }
    }

    private static HashSet<InvolvementId> Visible(ClientSharing state, Partnership partnership, Viewer viewer, DateTimeOffset now, PolicyOptions policy) =>
        AccessPolicy.TeamOf(state, partnership, viewer, now, policy).Visible.Select(v => v.Involvement.Id).ToHashSet();
}
