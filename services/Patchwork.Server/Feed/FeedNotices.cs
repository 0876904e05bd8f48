using Npgsql;
using NpgsqlTypes;
using Patchwork.Core;
using Patchwork.Core.Clients;

namespace Patchwork.Server.Feed;

/// <summary>The notices table: the relay writes each notice once; a practitioner pages through their own after a position.</summary>
public sealed class FeedNotices(NpgsqlDataSource database, EventStore.EventStoreOptions options)
{
    private readonly string _table = CoreSchema.Quote(options.Schema) + ".feed_notices";

    public const int LargestPage = 200;

    /// <summary>
    /// Stores the notices, each with the sequence of the event it tells of, in one transaction and one round trip, and
    /// returns them with their positions (a redelivered notice keeps its first position).
    /// </summary>
    public async Task<IReadOnlyList<FeedNotice>> StoreAsync(IReadOnlyList<(FeedNotice Notice, long Sequence)> found, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(found);
        if (found.Count == 0) return [];
        var notices = found.Select(f => f.Notice).ToList();
        var insert = new NpgsqlBatchCommand(
            $"""
            INSERT INTO {_table} (id, practitioner_id, organisation_id, kind, client_id, subject_id, event_sequence, at)
            SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::uuid[], $6::uuid[], $7::bigint[], $8::timestamptz[])
            ON CONFLICT (id) DO UPDATE SET id = EXCLUDED.id
            RETURNING id, position
            """);
        insert.Parameters.Add(new NpgsqlParameter { Value = notices.Select(n => n.Id).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { Value = notices.Select(n => n.PractitionerId).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { Value = notices.Select(n => n.OrganisationId).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { Value = notices.Select(n => n.Kind).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { Value = notices.Select(n => n.ClientId).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { Value = notices.Select(n => n.SubjectId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        insert.Parameters.Add(new NpgsqlParameter { Value = found.Select(f => f.Sequence).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { Value = notices.Select(n => n.At).ToArray() });
        // Committed without waiting for the disk: the list must be readable before a notice is published (visibility does
        // not wait for the flush), but it need not survive a database crash on its own. The relay's checkpoint commits
        // later, synchronously, and its flush carries these rows with it; a crash before that relays the page again and
        // stores the same ids once. BEGIN and COMMIT travel in the batch: one round trip in all.
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands = { new("BEGIN"), new("SET LOCAL synchronous_commit TO OFF"), insert, new("COMMIT") },
        };
        var positions = new Dictionary<Guid, long>();
        await using (var rows = await batch.ExecuteReaderAsync(cancellationToken))
        {
            do
            {
                while (await rows.ReadAsync(cancellationToken)) positions[rows.GetGuid(0)] = rows.GetInt64(1);
            }
            while (await rows.NextResultAsync(cancellationToken));
        }
        return [.. notices.Select(n => n with { Position = positions[n.Id] })];
    }

    /// <summary>
    /// Who had been told of which of the client's involvements, and not since told it is no longer shared, by the notices of
    /// events before <paramref name="beforeSequence"/>: the told-list as it stood before a page, even when an earlier attempt
    /// at the page stored its notices and then died before its checkpoint. A page that comes again is decided from the same
    /// told-list as the first time, so it tells the same notices, a "no longer shared" among them.
    /// </summary>
    public async Task<HashSet<(Guid Practitioner, Guid Involvement)>> ToldAsync(IReadOnlyCollection<ClientId> clients, long beforeSequence,
        NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clients);
        await using var command = new NpgsqlCommand(
            $"""
            SELECT practitioner_id, subject_id FROM (
                SELECT DISTINCT ON (practitioner_id, subject_id) practitioner_id, subject_id, kind FROM {_table}
                WHERE client_id = ANY($1) AND event_sequence < $2 AND kind IN ('{FeedNoticeKinds.BecameVisible}', '{FeedNoticeKinds.NoLongerShared}')
                ORDER BY practitioner_id, subject_id, position DESC) latest
            WHERE kind = '{FeedNoticeKinds.BecameVisible}'
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = clients.Select(c => c.Value).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = beforeSequence });
        var told = new HashSet<(Guid, Guid)>();
        await using var rows = await command.ExecuteReaderAsync(cancellationToken);
        while (await rows.ReadAsync(cancellationToken)) told.Add((rows.GetGuid(0), rows.GetGuid(1)));
        return told;
    }

    /// <summary>Who has been made able to see the practitioner's involvement with the client (rule 9), and when: the history's lines.</summary>
    public async Task<IReadOnlyList<(Guid Viewer, DateTimeOffset At)>> SeenByAsync(PractitionerId practitioner, ClientId client, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            $"SELECT subject_id, min(at) FROM {_table} WHERE practitioner_id = $1 AND client_id = $2 AND kind = '{FeedNoticeKinds.SeenBy}' " +
            "GROUP BY subject_id ORDER BY min(at)");
        command.Parameters.Add(new NpgsqlParameter { Value = practitioner.Value });
        command.Parameters.Add(new NpgsqlParameter { Value = client.Value });
        var seen = new List<(Guid, DateTimeOffset)>();
        await using var rows = await command.ExecuteReaderAsync(cancellationToken);
        while (await rows.ReadAsync(cancellationToken)) seen.Add((rows.GetGuid(0), rows.GetFieldValue<DateTimeOffset>(1)));
        return seen;
    }

    /// <summary>The practitioner's own notices after <paramref name="after"/>, oldest first.</summary>
    public Task<IReadOnlyList<FeedNotice>> PageAsync(PractitionerId practitioner, long after, int count, CancellationToken cancellationToken) =>
        ReadAsync("WHERE practitioner_id = $1 AND position > $2 ORDER BY position LIMIT $3", practitioner, after, count, cancellationToken);

    /// <summary>The practitioner's newest notices, newest first (the notification list, and where a page's live feed starts).</summary>
    public Task<IReadOnlyList<FeedNotice>> NewestAsync(PractitionerId practitioner, int count, CancellationToken cancellationToken) =>
        ReadAsync("WHERE practitioner_id = $1 AND position > $2 ORDER BY position DESC LIMIT $3", practitioner, 0, count, cancellationToken);

    private async Task<IReadOnlyList<FeedNotice>> ReadAsync(string where, PractitionerId practitioner, long after, int count, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            $"SELECT id, position, practitioner_id, organisation_id, kind, client_id, subject_id, at FROM {_table} " + where);
        command.Parameters.Add(new NpgsqlParameter { Value = practitioner.Value });
        command.Parameters.Add(new NpgsqlParameter { Value = after });
        command.Parameters.Add(new NpgsqlParameter { Value = count });
        var page = new List<FeedNotice>();
        await using var rows = await command.ExecuteReaderAsync(cancellationToken);
        while (await rows.ReadAsync(cancellationToken))
            page.Add(new FeedNotice(rows.GetGuid(0), rows.GetInt64(1), rows.GetGuid(2), rows.GetGuid(3), rows.GetString(4), rows.GetGuid(5),
                rows.IsDBNull(6) ? null : rows.GetGuid(6), rows.GetFieldValue<DateTimeOffset>(7)));
        return page;
    }
}
