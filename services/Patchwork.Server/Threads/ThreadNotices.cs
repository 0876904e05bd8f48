using Patchwork.Core;
using Patchwork.Core.Access;
using Patchwork.Core.Clients;
using Patchwork.Core.Threads;
using Patchwork.Core.Threads.Posting;
using Patchwork.Core.Threads.Withdrawing;
using Patchwork.EventStore;
using Patchwork.Server.Feed;

namespace Patchwork.Server.Threads;

/// <summary>
/// Who the feed tells of a new or withdrawn message: every participant but its author whom <see cref="ThreadAccess"/>
/// still admits at the moment of delivery. A notice names the client and the thread, nothing of the message.
/// </summary>
public sealed class ThreadNotices(ThreadStore threads, ClientTeamReader teams, PolicyOptions policy, TimeProvider clock)
{
    public static readonly IReadOnlySet<string> EventNames = new HashSet<string> { Core.EventNames.MessagePosted, Core.EventNames.MessageWithdrawn };

    public async Task<IReadOnlyList<(FeedNotice Notice, long Sequence)>> DecideAsync(IReadOnlyList<RecordedEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        var found = new List<(FeedNotice, long)>();
        foreach (var recorded in events)
        {
            var (thread, author, kind) = recorded.Data switch
            {
                MessagePosted posted => (posted.Thread, posted.Author, FeedNoticeKinds.ThreadMessage),
                MessageWithdrawn withdrawn => (withdrawn.Thread, withdrawn.Author, FeedNoticeKinds.ThreadMessageWithdrawn),
                _ => (default(ThreadId), null, null),
            };
            if (kind is null || await threads.FindAsync(thread, cancellationToken) is not { } thread_) continue;
            var (sharing, partnership) = await teams.LoadAsync(thread_.Client, cancellationToken);
            if (sharing is null) continue;
            var now = clock.GetUtcNow();
            found.AddRange(thread_.Participants
                .Where(p => p != author && ThreadAccess.Admits(thread_, sharing, partnership, p, now, policy))
                .Select(p => (FeedRelay.Notice(recorded, p.Practitioner, p.Organisation, thread_.Client, kind, thread.Value), recorded.Sequence)));
        }
        return found;
    }

    /// <summary>The node's cheap re-check before pushing: the practitioner is still admitted to the thread the notice names.</summary>
    public async Task<bool> StillAdmittedAsync(FeedNotice notice, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notice);
        if (notice.SubjectId is not { } subject || await threads.FindAsync(new ThreadId(subject), cancellationToken) is not { } thread) return false;
        var (sharing, partnership) = await teams.LoadAsync(thread.Client, cancellationToken);
        return sharing is not null && ThreadAccess.Admits(thread, sharing, partnership,
            new Participant(new PractitionerId(notice.PractitionerId), new OrganisationId(notice.OrganisationId)), clock.GetUtcNow(), policy);
    }
}
