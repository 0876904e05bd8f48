using System.Security.Cryptography;
using System.Text;
using MassTransit;
using Patchwork.Core;
using Patchwork.Core.Access;
using Patchwork.Core.BreakGlass;
using Patchwork.Core.Clients;
using Patchwork.Core.Involvements;
using Patchwork.EventStore;
using Patchwork.Server.SignIn;
using Patchwork.Server.Threads;

namespace Patchwork.Server.Feed;

/// <summary>
/// Tails the log and tells each practitioner on a client's team what changed for them (DESIGN.md §4), as the access
/// policy decides at the moment of delivery: an involvement that is no longer visible now is not announced, so nothing
/// queued in the log is delivered after a withdrawal. Each notice is stored in the page's transaction (the notice list
/// the browser resynchronises from) and published on the feed fan-out with a deterministic message id; the checkpoint
/// moves only after the broker has confirmed every publish of the page.
/// </summary>
public sealed class FeedRelay(ClientTeamReader teams, FeedNotices notices, IBus bus, PolicyOptions policy,
    TimeProvider clock, IServiceScopeFactory scopes, ThreadNotices threads) : ISubscriptionHandler
{
    public const string SubscriptionName = "feed-relay";

    private static readonly IReadOnlySet<string> ClientEventNames = ClientStateProjection.EventNames;

    public async Task HandleAsync(SubscriptionPage page, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(page);
        var streams = page.Events.Where(e => ClientEventNames.Contains(e.Name)).GroupBy(e => e.StreamId).ToList();
        var messages = page.Events.Where(e => ThreadNotices.EventNames.Contains(e.Name)).ToList();
        if (streams.Count == 0 && messages.Count == 0) return;
        var found = new List<(FeedNotice Notice, long Sequence)>(await threads.DecideAsync(messages, cancellationToken));
        if (streams.Count > 0) found.AddRange(await ClientNoticesAsync(page, streams, cancellationToken));
        // The notices commit before they are published, in a transaction of their own: a browser that hears one and then
        // reads its notice list finds it there. A crash between the two stores nothing twice (ids are fixed) and the
        // page, not yet checkpointed, is relayed again.
        var published = await notices.StoreAsync(found, cancellationToken);
        var traceOf = TracesOf(page, found);
        // Every publish is confirmed by the broker before the page returns, so the checkpoint follows the broker. Different
        // practitioners' notices go out side by side (one confirm wait per page, not per notice: L1); each practitioner's
        // stay in position order, as a browser resumes after the last position it saw. Each publish has the send limit.
        await Task.WhenAll(published.GroupBy(notice => notice.PractitionerId).Select(async theirs =>
        {
            foreach (var notice in theirs)
            {
                using var span = Telemetry.PatchworkMetrics.StartRelaying("feed", traceOf.GetValueOrDefault(notice.Id));
                using var limit = PartnerBus.PartnerRelay.SendLimited(cancellationToken);
                await bus.Publish(notice, context => context.MessageId = notice.Id, limit.Token);
            }
        }));
        Telemetry.PatchworkMetrics.Delivered("feed", published.Count, page.Attempt);
    }

    /// <summary>Each notice's trace: the one that saved the event it tells of.</summary>
    private static Dictionary<Guid, string?> TracesOf(SubscriptionPage page, List<(FeedNotice Notice, long Sequence)> found)
    {
        var bySequence = page.Events.ToDictionary(e => e.Sequence, e => e.Metadata.TraceParent);
        return found.DistinctBy(f => f.Notice.Id).ToDictionary(f => f.Notice.Id, f => bySequence.GetValueOrDefault(f.Sequence));
    }

    private async Task<List<(FeedNotice Notice, long Sequence)>> ClientNoticesAsync(SubscriptionPage page, List<IGrouping<Guid, RecordedEvent>> streams,
        CancellationToken cancellationToken)
    {
        var found = new List<(FeedNotice Notice, long Sequence)>();
        // Every client's stream and the partnership in one round trip, beside the told-list of all of them on the page's
        // connection: a page's cost in round trips does not grow with the number of clients it names.
        var clients = streams.Select(stream => new ClientId(stream.Key)).ToList();
        var historiesRead = teams.HistoriesAsync(clients, cancellationToken);
        var told = await notices.ToldAsync(clients, page.Events[0].Sequence, page.Connection, page.Transaction, cancellationToken);
        var (histories, partnership) = await historiesRead;
        foreach (var stream in streams)
        {
            var client = new ClientId(stream.Key);
            var history = histories.GetValueOrDefault(client) ?? [];
            var now = clock.GetUtcNow();
            var current = ClientSharing.From(client, history);
            foreach (var recorded in stream.OrderBy(e => e.Version))
            {
                var before = ClientSharing.From(client, history.Take((int)recorded.Version - 1));
                var after = ClientSharing.Evolve(before, recorded.Data);
                var theirs = new List<FeedNotice>();
                foreach (var (practitioner, organisation) in TeamOf(before, current))
                {
                    var toldHere = new ToldInvolvements(i => told.Add((practitioner.Value, i.Value)), i => told.Remove((practitioner.Value, i.Value)));
                    var changes = SharingChanges.For(recorded.Data, before, after, current, partnership, Viewer.ForPractitioner(practitioner, organisation), now, policy, toldHere);
                    theirs.AddRange(changes.Select(change => Notice(recorded, practitioner, organisation, client, KindOf(change.Kind), change.Subject)));
                    theirs.AddRange(SeenByNotices(recorded, practitioner, client, changes, current));
                }
                theirs = [.. theirs.DistinctBy(notice => notice.Id)];
                if (recorded.Data is BreakGlassGranted granted)
                    theirs.AddRange(await DataProtectionOfficersToldAsync(granted, recorded, after, theirs, cancellationToken));
                found.AddRange(theirs.Select(notice => (notice, recorded.Sequence)));
            }
        }
        return found;
    }

    /// <summary>
    /// §4: break-glass is told to the data protection officers of the practitioner's own organisation and of every
    /// organisation involved with the client, beside the team, so every use is reviewed. The grant id is all they are told.
    /// </summary>
    private async Task<IEnumerable<FeedNotice>> DataProtectionOfficersToldAsync(BreakGlassGranted granted, RecordedEvent recorded, ClientSharing after,
        List<FeedNotice> alreadyTold, CancellationToken cancellationToken)
    {
        var organisations = after.Involvements.Values.Select(i => i.Organisation).Append(granted.Organisation).ToHashSet();
        await using var scope = scopes.CreateAsyncScope();
        var officers = await scope.ServiceProvider.GetRequiredService<PractitionerAccounts>().DataProtectionOfficersAsync(organisations, cancellationToken);
        var told = alreadyTold.Select(notice => notice.PractitionerId).ToHashSet();
        return officers
            .Where(dpo => dpo.Practitioner != granted.Practitioner && !told.Contains(dpo.Practitioner.Value))
            .Select(dpo => Notice(recorded, dpo.Practitioner, dpo.Organisation, granted.Client, FeedNoticeKinds.BreakGlass, granted.Grant.Value));
    }

    internal static FeedNotice Notice(RecordedEvent recorded, PractitionerId practitioner, OrganisationId organisation, ClientId client, string kind, Guid subject) =>
        new(NoticeId(recorded.Id, practitioner, kind, subject), 0, practitioner.Value, organisation.Value, kind, client.Value, subject, recorded.RecordedAt);

    /// <summary>Everyone who has (or had, within the policy's window) an involvement with the client: the people §4 tells.</summary>
    private static IEnumerable<(PractitionerId, OrganisationId)> TeamOf(ClientSharing before, ClientSharing current) =>
        before.Involvements.Values.Concat(current.Involvements.Values)
            .Where(i => i.Practitioner is not null)
            .Select(i => (i.Practitioner!.Value, i.Organisation))
            .Distinct();

    private static string KindOf(SharingChangeKind kind) => kind switch
    {
        SharingChangeKind.BecameVisible => FeedNoticeKinds.BecameVisible,
        SharingChangeKind.NoLongerShared => FeedNoticeKinds.NoLongerShared,
        SharingChangeKind.Changed => FeedNoticeKinds.Changed,
        SharingChangeKind.Ended => FeedNoticeKinds.Ended,
        SharingChangeKind.AttentionRaised => FeedNoticeKinds.AttentionRaised,
        SharingChangeKind.BreakGlassUsed => FeedNoticeKinds.BreakGlass,
        SharingChangeKind.ContactRequested => FeedNoticeKinds.ContactRequested,
        SharingChangeKind.ContactAnswered => FeedNoticeKinds.ContactAnswered,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "no notice kind"),
    };

    /// <summary>
    /// DESIGN §3 rule 9: whoever starts to see an involvement because of someone's act (a new involvement, a consent, a
    /// basis, a revealed contact), its practitioner is told who — the viewer's id, which their client page turns into a
    /// name and a history line. Nobody learns of a look they cannot trace back.
    /// </summary>
    private static IEnumerable<FeedNotice> SeenByNotices(RecordedEvent recorded, PractitionerId viewer, ClientId client, IReadOnlyList<SharingChange> changes,
        ClientSharing current)
    {
        foreach (var gained in changes.Where(change => change.Kind == SharingChangeKind.BecameVisible))
        {
            if (current.Involvements.GetValueOrDefault(new InvolvementId(gained.Subject)) is { Practitioner: { } seen } involvement && seen != viewer)
                yield return Notice(recorded, seen, involvement.Organisation, client, FeedNoticeKinds.SeenBy, viewer.Value);
        }
    }

    /// <summary>The same event, practitioner, kind and subject always give the same id: redelivery is recognisable.</summary>
    private static Guid NoticeId(Guid eventId, PractitionerId practitioner, string kind, Guid subject) =>
        new(SHA256.HashData(Encoding.UTF8.GetBytes($"patchwork.feed-notice.v1|{eventId:N}|{practitioner.Value:N}|{kind}|{subject:N}")).AsSpan(0, 16));
}
