using System.Security.Cryptography;
using System.Text;
using MassTransit;
using Patchwork.Core;
using Patchwork.Core.Access;
using Patchwork.Core.BreakGlass;
using Patchwork.Core.Clients;
using Patchwork.Core.ContactRequests;
using Patchwork.Core.Involvements;
using Patchwork.EventStore;
using Patchwork.Server.Tokens;
using V1 = Patchwork.Contracts.V1;

namespace Patchwork.Server.PartnerBus;

/// <summary>
/// Tails the log and tells each partner organisation what changed about its clients, organisation-level, as the
/// access policy decides at the moment of delivery: a notice whose involvement the organisation can no longer see
/// is not sent, so nothing queued in the log leaks after a withdrawal. Each notice's message id is derived from the
/// event, the organisation and the involvement, so a redelivery after a crash is recognisably the same notice; the
/// subscription's checkpoint moves only after the broker has confirmed every send of the page.
/// </summary>
public sealed class PartnerRelay(
    EventStore.EventStore store,
    ClientTeamReader teams,
    IPartnerClientDirectory partners,
    IBus endpoints,
    PolicyOptions policy,
    TimeProvider clock) : ISubscriptionHandler
{
    public const string SubscriptionName = "partner-relay";

    /// <summary>How long one send may wait for the broker's confirm before its page fails and is tried again.</summary>
    public static readonly TimeSpan SendLimit = TimeSpan.FromSeconds(30);

    /// <summary>A token for one send: cancelled with the page, or when the broker has not confirmed it within <see cref="SendLimit"/>.</summary>
    public static CancellationTokenSource SendLimited(CancellationToken cancellationToken)
    {
        var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(SendLimit);
        return limit;
    }

    /// <summary>
    /// A broker outage fails every send until the broker returns; that must delay notices, never park the relay,
    /// so it retries for hours (backing off to 10 s) before parking — long enough for any outage an operator fixes.
    /// </summary>
    public static SubscriptionOptions Options(TimeSpan? pollInterval = null) => new()
    {
        MaxAttempts = 2_000,
        FirstRetryDelay = TimeSpan.FromMilliseconds(250),
        MaxRetryDelay = TimeSpan.FromSeconds(10),
        PollInterval = pollInterval ?? TimeSpan.FromSeconds(2),
    };

    public async Task HandleAsync(SubscriptionPage page, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(page);
        var clientEvents = page.Events.Where(e => ClientEventNames.Contains(e.Name)).ToList();
        if (clientEvents.Count == 0) return;
        var organisations = await partners.OrganisationsWithActiveClientsAsync(cancellationToken);
        if (organisations.Count == 0) return;

        // Every client's stream and the partnership in one round trip, beside what each organisation was told of them: a
        // page's cost in round trips does not grow with the number of clients it names.
        var clients = clientEvents.Select(e => new ClientId(e.StreamId)).Distinct().ToList();
        var historiesRead = teams.HistoriesAsync(clients, cancellationToken);
        var told = await ToldAsync(page, [.. clients.Select(c => c.Value)], cancellationToken);
        var (histories, partnership) = await historiesRead;
        var notices = new List<(OrganisationId Organisation, Guid Id, object Notice, string? Trace)>();
        foreach (var stream in clientEvents.GroupBy(e => e.StreamId))
        {
            var client = new ClientId(stream.Key);
            var history = histories.GetValueOrDefault(client) ?? [];
            var now = clock.GetUtcNow();
            var current = ClientSharing.From(client, history);
            foreach (var recorded in stream.OrderBy(e => e.Version))
            {
                var before = ClientSharing.From(client, history.Take((int)recorded.Version - 1));
                var after = ClientSharing.Evolve(before, recorded.Data);
                foreach (var organisation in organisations)
                {
                    var toldHere = new ToldInvolvements(i => told.Add((organisation, i)), i => told.Remove((organisation, i)));
                    foreach (var change in SharingChanges.For(recorded.Data, before, after, current, partnership, Viewer.ForOrganisation(organisation), now, policy, toldHere))
                    {
                        var notice = NoticeOf(change, recorded, organisation, client);
                        notices.Add((organisation, notice.NoticeId, notice, recorded.Metadata.TraceParent));
                    }
                }
            }
        }

        // Sends are awaited (publisher confirms) before the page returns, so the checkpoint follows the broker. A send that
        // has not been confirmed within the limit fails the page, which is retried: waiting without end on a broker that
        // went away and came back would stall this relay for good. The limit is each send's, not the page's: a page too
        // long to send within one limit on a loaded machine would otherwise fail at the same point on every attempt.
        // Organisations side by side (one confirm wait per page, not per notice); each organisation's in log order.
        await Task.WhenAll(notices.GroupBy(n => n.Organisation).Select(async theirs =>
        {
            var endpoint = await endpoints.GetSendEndpoint(new Uri($"exchange:{new PartnerBrokerNames(theirs.Key.Value).NoticeExchange}"));
            foreach (var (_, id, notice, trace) in theirs)
            {
                using var span = Telemetry.PatchworkMetrics.StartRelaying("partner", trace);
                using var limit = SendLimited(cancellationToken);
                await endpoint.Send(notice, notice.GetType(), context => context.MessageId = id, limit.Token);
            }
        }));

        // What was told commits with the checkpoint, in Marten's transaction after the broker has confirmed (a transaction
        // id held open while waiting on the broker would hold back the horizon every subscription reads up to). A crash
        // between the sends and that commit leaves the told-list as it was before the page, so the page comes again
        // decided from the same told-list: the same notices with the same ids, a "no longer shared" among them.
        Remember(page, notices);
        Telemetry.PatchworkMetrics.Delivered("partner", notices.Count, page.Attempt);
    }

    /// <summary>The contract's notice for one change, its id derived from the event, the organisation, the kind and the subject.</summary>
    private static V1.IPartnerNotice NoticeOf(SharingChange change, RecordedEvent recorded, OrganisationId organisation, ClientId client)
    {
        var (position, at, subject) = (recorded.Sequence, recorded.RecordedAt, change.Subject);
        Guid Id(string kind) => NoticeId(recorded.Id, organisation, kind, subject);
        return change.Kind switch
        {
            SharingChangeKind.BecameVisible => new V1.InvolvementBecameVisible(Id("visible"), position, client.Value, subject, at),
            SharingChangeKind.NoLongerShared => new V1.InvolvementNoLongerShared(Id("unshared"), position, client.Value, subject, at),
            SharingChangeKind.Changed => new V1.InvolvementChanged(Id("changed"), position, client.Value, subject, at),
            SharingChangeKind.Ended => new V1.InvolvementEnded(Id("ended"), position, client.Value, subject, ((InvolvementEnded)recorded.Data).End, at),
            SharingChangeKind.AttentionRaised => new V1.AttentionRaised(Id("attention"), position, client.Value, at),
            SharingChangeKind.BreakGlassUsed => new V1.BreakGlassUsed(Id("break-glass"), position, client.Value, subject, ((BreakGlassGranted)recorded.Data).ExpiresAt, at),
            SharingChangeKind.ContactRequested => new V1.ContactRequested(Id("contact"), position, client.Value, subject, ((ContactRequested)recorded.Data).Involvement.Value, at),
            SharingChangeKind.ContactAnswered => new V1.ContactRequestAnswered(Id("answered"), position, client.Value, subject, at),
            _ => throw new ArgumentOutOfRangeException(nameof(change), change.Kind, "no partner notice"),
        };
    }

    private string ToldTable => CoreSchema.Quote(store.Schema) + ".partner_told";

    private async Task<HashSet<(OrganisationId, InvolvementId)>> ToldAsync(SubscriptionPage page, Guid[] clients, CancellationToken cancellationToken)
    {
        var told = new HashSet<(OrganisationId, InvolvementId)>();
        await using var command = new Npgsql.NpgsqlCommand(
            $"SELECT organisation_id, involvement_id FROM {ToldTable} WHERE client_id = ANY(@clients)", page.Connection, page.Transaction);
        command.Parameters.AddWithValue("clients", clients);
        await using var rows = await command.ExecuteReaderAsync(cancellationToken);
        while (await rows.ReadAsync(cancellationToken)) told.Add((new OrganisationId(rows.GetGuid(0)), new InvolvementId(rows.GetGuid(1))));
        return told;
    }

    /// <summary>Queued to commit with the checkpoint, so the told-list always says what was told up to it.</summary>
    private void Remember(SubscriptionPage page, List<(OrganisationId Organisation, Guid Id, object Notice, string? Trace)> notices)
    {
        // One round trip; the statements run in the page's order, so told-then-unshared in one page ends untold.
        foreach (var (organisation, _, notice, _) in notices)
        {
            var (sql, involvement) = notice switch
            {
                V1.InvolvementBecameVisible visible => ($"INSERT INTO {ToldTable} (organisation_id, involvement_id, client_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", visible.InvolvementId),
                V1.InvolvementNoLongerShared unshared => ($"DELETE FROM {ToldTable} WHERE organisation_id = $1 AND involvement_id = $2", unshared.InvolvementId),
                _ => (null, Guid.Empty),
            };
            if (sql is null) continue;
            var command = new Npgsql.NpgsqlBatchCommand(sql);
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = organisation.Value });
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = involvement });
            if (notice is V1.InvolvementBecameVisible) command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = ((V1.IPartnerNotice)notice).ClientId });
            page.WithCheckpoint(command);
        }
    }

    /// <summary>The same event, organisation, kind and subject always give the same id: the receiver's dedupe key.</summary>
    internal static Guid NoticeId(Guid eventId, OrganisationId organisation, string kind, Guid subject)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"patchwork.partner-notice.v1|{eventId:N}|{organisation.Value:N}|{kind}|{subject:N}"));
        return new Guid(hash.AsSpan(0, 16));
    }

    private static readonly IReadOnlySet<string> ClientEventNames = ClientStateProjection.EventNames;
}
