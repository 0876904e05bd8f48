using System.Collections.Immutable;
using Npgsql;
using Patchwork.Core;
using Patchwork.Core.Clients;
using Patchwork.Core.Threads;
using Patchwork.Core.Threads.Posting;
using Patchwork.Core.Threads.Starting;
using Patchwork.Core.Threads.Withdrawing;

namespace Patchwork.Server.Threads;

/// <summary>One message as stored: the body opened for a reader, or null once withdrawn or erased.</summary>
public sealed record StoredMessage(MessageId Id, Participant Author, DateTimeOffset PostedAt, DateTimeOffset? WithdrawnAt, string? Body,
    IReadOnlyList<(PractitionerId Practitioner, DateTimeOffset At)> ReadBy);

/// <summary>
/// The one place that knows the SQL of the thread tables. Writes run on the append's connection and transaction (through
/// WriteTransaction.AfterSave), so a thread, message or withdrawal is stored exactly when its event is.
/// </summary>
public sealed class ThreadStore(NpgsqlDataSource database, EventStore.EventStoreOptions options, MessageSeal seal)
{
    private readonly string _schema = CoreSchema.Quote(options.Schema);

    public async Task<MessageThread?> FindAsync(ThreadId thread, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            $"SELECT id, client_id, starter_involvement, participant_practitioners, participant_organisations, started_at FROM {_schema}.threads WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = thread.Value });
        await using var rows = await command.ExecuteReaderAsync(cancellationToken);
        return await rows.ReadAsync(cancellationToken) ? Read(rows) : null;
    }

    public async Task<IReadOnlyList<MessageThread>> OfClientAsync(ClientId client, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            $"SELECT id, client_id, starter_involvement, participant_practitioners, participant_organisations, started_at FROM {_schema}.threads " +
            "WHERE client_id = $1 ORDER BY started_at DESC, id");
        command.Parameters.Add(new NpgsqlParameter { Value = client.Value });
        var threads = new List<MessageThread>();
        await using var rows = await command.ExecuteReaderAsync(cancellationToken);
        while (await rows.ReadAsync(cancellationToken)) threads.Add(Read(rows));
        return threads;
    }

    /// <summary>
    /// What a thread event keeps beside the log, in the transaction that appends it: a started thread's row, a posted
    /// message's sealed <paramref name="body"/>, a withdrawal's erasure of the body.
    /// </summary>
    public Task StoreBesideAsync(object appended, string? body, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken) =>
        appended switch
        {
            ThreadStarted started => InsertThreadAsync(started, connection, transaction, cancellationToken),
            MessagePosted posted => InsertMessageAsync(posted, body ?? throw new ArgumentNullException(nameof(body), "a posted message has a body"), connection, transaction,
                cancellationToken),
            MessageWithdrawn withdrawn => WithdrawAsync(withdrawn, connection, transaction, cancellationToken),
            _ => throw new ArgumentOutOfRangeException(nameof(appended), appended.GetType().Name, "not a thread event"),
        };

    private async Task InsertThreadAsync(ThreadStarted started, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(started);
        await using var command = new NpgsqlCommand(
            $"INSERT INTO {_schema}.threads (id, client_id, starter_involvement, participant_practitioners, participant_organisations, started_at) " +
            "VALUES ($1, $2, $3, $4, $5, $6)", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = started.Thread.Value });
        command.Parameters.Add(new NpgsqlParameter { Value = started.Client.Value });
        command.Parameters.Add(new NpgsqlParameter { Value = started.StarterInvolvement.Value });
        command.Parameters.Add(new NpgsqlParameter { Value = started.Participants.Select(p => p.Practitioner.Value).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = started.Participants.Select(p => p.Organisation.Value).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = started.At });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Seals the body under the client's key (made on the client's first message) and stores it beside the message's ids.</summary>
    private async Task InsertMessageAsync(MessagePosted posted, string body, NpgsqlConnection connection, NpgsqlTransaction transaction,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(posted);
        var key = await ClientKeyAsync(posted.Client, posted.At, connection, transaction, cancellationToken);
        await using var command = new NpgsqlCommand(
            $"INSERT INTO {_schema}.thread_messages (id, thread_id, client_id, author_practitioner, author_organisation, posted_at, sealed) " +
            "VALUES ($1, $2, $3, $4, $5, $6, $7)", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = posted.Message.Value });
        command.Parameters.Add(new NpgsqlParameter { Value = posted.Thread.Value });
        command.Parameters.Add(new NpgsqlParameter { Value = posted.Client.Value });
        command.Parameters.Add(new NpgsqlParameter { Value = posted.Author.Practitioner.Value });
        command.Parameters.Add(new NpgsqlParameter { Value = posted.Author.Organisation.Value });
        command.Parameters.Add(new NpgsqlParameter { Value = posted.At });
        command.Parameters.Add(new NpgsqlParameter { Value = MessageSeal.Seal(key, posted.Client, posted.Message, body) });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The body is erased with the withdrawal: only the marker and the ids remain.</summary>
    private async Task WithdrawAsync(MessageWithdrawn withdrawn, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(withdrawn);
        await using var command = new NpgsqlCommand(
            $"UPDATE {_schema}.thread_messages SET withdrawn_at = $2, sealed = NULL WHERE id = $1 AND withdrawn_at IS NULL", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = withdrawn.Message.Value });
        command.Parameters.Add(new NpgsqlParameter { Value = withdrawn.At });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<(ThreadId Thread, PostedMessage Message)?> MessageAsync(MessageId message, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            $"SELECT thread_id, author_practitioner, author_organisation, posted_at, withdrawn_at FROM {_schema}.thread_messages WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = message.Value });
        await using var rows = await command.ExecuteReaderAsync(cancellationToken);
        if (!await rows.ReadAsync(cancellationToken)) return null;
        return (new ThreadId(rows.GetGuid(0)), new PostedMessage(message, new Participant(new PractitionerId(rows.GetGuid(1)), new OrganisationId(rows.GetGuid(2))),
            rows.GetFieldValue<DateTimeOffset>(3), rows.IsDBNull(4) ? null : rows.GetFieldValue<DateTimeOffset>(4)));
    }

    /// <summary>The thread's messages, oldest first, with their receipts; bodies opened with the client's key, null when withdrawn or erased.</summary>
    public async Task<IReadOnlyList<StoredMessage>> MessagesAsync(MessageThread thread, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(thread);
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var wrapped = await WrappedKeyAsync(thread.Client, connection, null, cancellationToken);
        var key = wrapped is null ? null : seal.Unwrap(wrapped);
        await using var command = new NpgsqlCommand(
            $"""
            SELECT m.id, m.author_practitioner, m.author_organisation, m.posted_at, m.withdrawn_at, m.sealed,
                   coalesce(array_agg(r.practitioner_id ORDER BY r.read_at) FILTER (WHERE r.practitioner_id IS NOT NULL), '{"{}"}'),
                   coalesce(array_agg(r.read_at ORDER BY r.read_at) FILTER (WHERE r.practitioner_id IS NOT NULL), '{"{}"}')
            FROM {_schema}.thread_messages m LEFT JOIN {_schema}.thread_receipts r ON r.message_id = m.id
            WHERE m.thread_id = $1 GROUP BY m.id ORDER BY m.id
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = thread.Id.Value });
        var messages = new List<StoredMessage>();
        await using var rows = await command.ExecuteReaderAsync(cancellationToken);
        while (await rows.ReadAsync(cancellationToken))
        {
            var id = new MessageId(rows.GetGuid(0));
            var body = key is not null && !rows.IsDBNull(5) ? MessageSeal.Open(key, thread.Client, id, rows.GetFieldValue<byte[]>(5)) : null;
            var readers = rows.GetFieldValue<Guid[]>(6);
            var readAt = rows.GetFieldValue<DateTimeOffset[]>(7);
            messages.Add(new StoredMessage(id, new Participant(new PractitionerId(rows.GetGuid(1)), new OrganisationId(rows.GetGuid(2))),
                rows.GetFieldValue<DateTimeOffset>(3), rows.IsDBNull(4) ? null : rows.GetFieldValue<DateTimeOffset>(4), body,
                [.. readers.Select((r, i) => (new PractitionerId(r), readAt[i]))]));
        }
        return messages;
    }

    /// <summary>A receipt for every message in the thread the reader did not write and has not yet read; returns how many were new.</summary>
    public async Task<int> MarkReadAsync(ThreadId thread, PractitionerId reader, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            $"INSERT INTO {_schema}.thread_receipts (message_id, practitioner_id, read_at) " +
            $"SELECT id, $2, $3 FROM {_schema}.thread_messages WHERE thread_id = $1 AND author_practitioner <> $2 ON CONFLICT DO NOTHING");
        command.Parameters.Add(new NpgsqlParameter { Value = thread.Value });
        command.Parameters.Add(new NpgsqlParameter { Value = reader.Value });
        command.Parameters.Add(new NpgsqlParameter { Value = at });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Per thread: how many messages, the newest's time, and how many the reader has neither written nor read (a withdrawn one is nothing to read).</summary>
    public async Task<Dictionary<ThreadId, (int Messages, DateTimeOffset? Latest, int Unread)>> SummariesAsync(IReadOnlyList<ThreadId> threads,
        PractitionerId reader, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(threads);
        await using var command = database.CreateCommand(
            $"""
            SELECT m.thread_id, count(*), max(m.posted_at),
                   count(*) FILTER (WHERE m.author_practitioner <> $2 AND m.withdrawn_at IS NULL AND NOT EXISTS
                       (SELECT 1 FROM {_schema}.thread_receipts r WHERE r.message_id = m.id AND r.practitioner_id = $2))
            FROM {_schema}.thread_messages m WHERE m.thread_id = ANY($1) GROUP BY m.thread_id
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = threads.Select(t => t.Value).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = reader.Value });
        var summaries = new Dictionary<ThreadId, (int, DateTimeOffset?, int)>();
        await using var rows = await command.ExecuteReaderAsync(cancellationToken);
        while (await rows.ReadAsync(cancellationToken))
            summaries[new ThreadId(rows.GetGuid(0))] = ((int)rows.GetInt64(1), rows.GetFieldValue<DateTimeOffset>(2), (int)rows.GetInt64(3));
        return summaries;
    }

    /// <summary>Erasure (DESIGN.md §6): the client's key goes, and with it every body sealed under it; ids and markers stay.</summary>
    public async Task EraseClientKeyAsync(ClientId client, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await EraseClientKeyAsync(client, connection, null, cancellationToken);
    }

    /// <summary>The same, in the caller's transaction (the client's erasure, with their identity); true when there was a key.</summary>
    public async Task<bool> EraseClientKeyAsync(ClientId client, NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"DELETE FROM {_schema}.client_message_keys WHERE client_id = $1", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = client.Value });
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    private async Task<byte[]> ClientKeyAsync(ClientId client, DateTimeOffset at, NpgsqlConnection connection, NpgsqlTransaction transaction,
        CancellationToken cancellationToken)
    {
        // Two first messages at once both try to make a key; the loser's insert does nothing and it reads the winner's.
        await using (var insert = new NpgsqlCommand(
            $"INSERT INTO {_schema}.client_message_keys (client_id, wrapped_key, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", connection, transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = client.Value });
            insert.Parameters.Add(new NpgsqlParameter { Value = seal.Wrap(MessageSeal.NewKey()) });
            insert.Parameters.Add(new NpgsqlParameter { Value = at });
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        return seal.Unwrap((await WrappedKeyAsync(client, connection, transaction, cancellationToken))!);
    }

    private async Task<byte[]?> WrappedKeyAsync(ClientId client, NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT wrapped_key FROM {_schema}.client_message_keys WHERE client_id = $1", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = client.Value });
        return await command.ExecuteScalarAsync(cancellationToken) as byte[];
    }

    private static MessageThread Read(NpgsqlDataReader rows)
    {
        var practitioners = rows.GetFieldValue<Guid[]>(3);
        var organisations = rows.GetFieldValue<Guid[]>(4);
        var participants = practitioners.Select((p, i) => new Participant(new PractitionerId(p), new OrganisationId(organisations[i]))).ToImmutableArray();
        return new MessageThread(new ThreadId(rows.GetGuid(0)), new ClientId(rows.GetGuid(1)), participants[0], new InvolvementId(rows.GetGuid(2)),
            participants, rows.GetFieldValue<DateTimeOffset>(5));
    }
}
