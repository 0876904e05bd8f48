using Npgsql;
using NpgsqlTypes;

namespace Patchwork.EventStore;

/// <summary>
/// A session's queued appends made ready for the database, and the two ways they are written: in a transaction of
/// their own, or with other sessions' saves in one transaction (<see cref="GroupCommit"/>).
/// </summary>
internal sealed class SaveWork
{
    private readonly EventStore _store;

    public SaveWork(EventStore store, EventMetadata metadata, List<StreamWrite> writes, List<EnlistedWrite> alsoWrites, DateTimeOffset recordedAt)
    {
        _store = store;
        Metadata = metadata;
        // Claiming streams in id order keeps two multi-stream sessions from deadlocking each other.
        Writes = [.. writes.OrderBy(w => w.StreamId)];
        AlsoWrites = alsoWrites;
        RecordedAt = recordedAt;
        Projected = [.. store.Projections.Where(p => Writes.Any(w => w.Names.Any(p.EventNames.Contains)))];
    }

    public EventMetadata Metadata { get; }

    public List<StreamWrite> Writes { get; }

    public List<EnlistedWrite> AlsoWrites { get; }

    public DateTimeOffset RecordedAt { get; }

    public List<IInlineProjection> Projected { get; }

    /// <summary>One stream: it can share a transaction with other sessions' saves, because its claim decides all of it.</summary>
    public bool CanJoinGroup => Writes.Count == 1;

    /// <summary>Writes every append in one transaction of its own, or none of them.</summary>
    public Task<SaveResult> WriteAloneAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        Writes.Count == 1 && Projected.Count == 0 && AlsoWrites.Count == 0
            ? AppendAloneAsync(connection, Writes[0], cancellationToken)
            : AppendInTransactionAsync(connection, cancellationToken);

    /// <summary>
    /// Writes several single-stream saves in one transaction: every stream is locked first, in id order, then each save's
    /// claim-and-insert runs in the order the saves queued, all in one round trip. A save whose claim fails (a conflict, a
    /// taken id, an archived stream, often because an earlier save in the group moved the stream) inserts nothing and draws
    /// no sequence number; the others then run their projections and enlisted writes, and commit together.
    /// Returns each save's written events, or null for a refused save. Anything that fails before the commit is sent
    /// throws <see cref="GroupNotCommittedException"/>: the transaction rolled back and every save can be written again alone.
    /// </summary>
    public static async Task<List<WrittenEvent>?[]> WriteGroupAsync(EventStore store, IReadOnlyList<SaveWork> group, NpgsqlConnection connection)
    {
        var written = new List<WrittenEvent>?[group.Count];
        var transaction = await BeginAsync(connection);
        try
        {
            await ClaimAndInsertGroupAsync(store, group, connection, transaction, written);
            var saved = Enumerable.Range(0, group.Count).Where(i => written[i] is not null).ToList();
            if (saved.Count > 0)
            {
                var recorded = saved.SelectMany(i => group[i].Writes[0].Recorded(written[i]!, group[i].Metadata, group[i].RecordedAt)).ToList();
                await ProjectAsync(store.Projections, recorded, new ProjectionContext(connection, transaction), CancellationToken.None);
                await RunEnlistedAsync(saved.SelectMany(i => group[i].AlsoWrites).ToList(), connection, transaction, CancellationToken.None);
            }
        }
        catch (Exception e)
        {
            await RollBackQuietlyAsync(transaction);
            throw new GroupNotCommittedException(e);
        }
        await using (transaction) await transaction.CommitAsync(CancellationToken.None);
        return written;
    }

    /// <summary>Why a refused save was refused, read after the fact.</summary>
    public Task<AppendRejection> DiagnoseAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        DiagnoseAsync(connection, null, Writes[0], cancellationToken);

    /// <summary>The failure that got here is what the caller hears of; a broken connection rolls back by closing.</summary>
    private static async Task RollBackQuietlyAsync(NpgsqlTransaction transaction)
    {
        try
        {
            await transaction.DisposeAsync();
        }
        catch (Exception e) when (e is NpgsqlException or IOException or InvalidOperationException or TimeoutException)
        {
            // The connection goes back broken and the pool discards it; the server rolls back what it held.
        }
    }

    private static async Task<NpgsqlTransaction> BeginAsync(NpgsqlConnection connection)
    {
        try
        {
            return await connection.BeginTransactionAsync(CancellationToken.None);
        }
        catch (Exception e)
        {
            throw new GroupNotCommittedException(e);
        }
    }

    private static async Task ClaimAndInsertGroupAsync(EventStore store, IReadOnlyList<SaveWork> group, NpgsqlConnection connection,
        NpgsqlTransaction transaction, List<WrittenEvent>?[] written)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        batch.BatchCommands.Add(LockStreams(store.Sql, group.Select(s => s.Writes[0].StreamId).Distinct().Order()));
        foreach (var save in group)
        {
            var write = save.Writes[0];
            var append = new NpgsqlBatchCommand(write.Expected.Value switch
            {
                null => store.Sql.AppendAtAnyVersionAfterLock,
                0 => store.Sql.AppendToNewStreamAfterLock,
                _ => store.Sql.AppendAtVersionAfterLock,
            });
            save.AddEventParameters(append.Parameters, write, ClaimArgument(write));
            batch.BatchCommands.Add(append);
        }
        await using var reader = await batch.ExecuteReaderAsync(CancellationToken.None);
        for (var i = 0; i < group.Count; i++)
        {
            await reader.NextResultAsync(CancellationToken.None);
            var rows = await ReadWrittenAsync(reader, group[i].Writes[0].Events.Count, CancellationToken.None);
            written[i] = rows.Count == 0 ? null : rows;
        }
    }

    /// <summary>One stream, no projection, nothing enlisted: one statement, one round trip, no explicit transaction.</summary>
    private async Task<SaveResult> AppendAloneAsync(NpgsqlConnection connection, StreamWrite write, CancellationToken cancellationToken)
    {
        var written = await ClaimAndInsertAsync(connection, null, write, cancellationToken);
        return written is null
            ? SaveResult.Rejected(await DiagnoseAsync(connection, null, write, cancellationToken))
            : SaveResult.Saved([new StreamVersion(write.StreamId, written[^1].Version)]);
    }

    private async Task<SaveResult> AppendInTransactionAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var written = new List<WrittenEvent>[Writes.Count];
        if (Writes.Count == 1)
        {
            if (await ClaimAndInsertAsync(connection, transaction, Writes[0], cancellationToken) is not { } rows)
                return SaveResult.Rejected(await DiagnoseAsync(connection, transaction, Writes[0], cancellationToken));
            written[0] = rows;
        }
        else
        {
            // Every stream is claimed before any event is inserted, so a refused session draws no sequence number.
            var claimed = await ClaimAllAsync(connection, transaction, cancellationToken);
            if (Array.IndexOf(claimed, null) is var refused and >= 0)
                return SaveResult.Rejected(await DiagnoseAsync(connection, transaction, Writes[refused], cancellationToken));
            await InsertAllAsync(connection, transaction, claimed.Select(v => v!.Value).ToArray(), written, cancellationToken);
        }

        var recorded = Writes.SelectMany((w, i) => w.Recorded(written[i], Metadata, RecordedAt)).ToList();
        var context = new ProjectionContext(connection, transaction);
        await ProjectAsync(Projected, recorded, context, cancellationToken);
        await RunEnlistedAsync(AlsoWrites, connection, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return SaveResult.Saved(Writes.Select((w, i) => new StreamVersion(w.StreamId, written[i][^1].Version)).ToList());
    }

    /// <summary>Each projection once, with the events it asked for, in the order they were written.</summary>
    private static async Task ProjectAsync(IEnumerable<IInlineProjection> projections, List<RecordedEvent> recorded, ProjectionContext context,
        CancellationToken cancellationToken)
    {
        foreach (var projection in projections)
        {
            var relevant = recorded.Where(e => projection.EventNames.Contains(e.Name)).ToList();
            if (relevant.Count > 0) await projection.ApplyAsync(context, relevant, cancellationToken);
        }
    }

    /// <summary>The enlisted statements in one round trip, then the enlisted callbacks in the order they were enlisted.</summary>
    private static async Task RunEnlistedAsync(List<EnlistedWrite> writes, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        if (writes.Any(w => w.Statement is not null))
        {
            await using var batch = new NpgsqlBatch(connection, transaction);
            foreach (var write in writes)
                if (write.Statement is { } statement) batch.BatchCommands.Add(statement());
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        foreach (var write in writes)
            if (write.Callback is { } callback) await callback(connection, transaction, cancellationToken);
    }

    /// <summary>The events' sequence numbers and versions, or null when the stream could not be claimed.</summary>
    private async Task<List<WrittenEvent>?> ClaimAndInsertAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, StreamWrite write,
        CancellationToken cancellationToken)
    {
        var sql = write.Expected.Value switch
        {
            null => _store.Sql.AppendAtAnyVersion,
            0 => _store.Sql.AppendToNewStream,
            _ => _store.Sql.AppendAtVersion,
        };
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        AddEventParameters(command.Parameters, write, ClaimArgument(write));
        command.Parameters.Add(new NpgsqlParameter { Value = _store.Sql.StreamLockNamePrefix, NpgsqlDbType = NpgsqlDbType.Text });
        await command.PrepareAsync(cancellationToken);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = await ReadWrittenAsync(reader, write.Events.Count, cancellationToken);
        return rows.Count == 0 ? null : rows;
    }

    private async Task<long?[]> ClaimAllAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        batch.BatchCommands.Add(LockStreams(_store.Sql, Writes.Select(w => w.StreamId)));
        foreach (var write in Writes)
        {
            var claim = new NpgsqlBatchCommand(write.Expected.Value switch
            {
                null => _store.Sql.ClaimAtAnyVersion,
                0 => _store.Sql.ClaimNewStream,
                _ => _store.Sql.ClaimAtVersion,
            });
            claim.Parameters.Add(new NpgsqlParameter { Value = write.StreamId, NpgsqlDbType = NpgsqlDbType.Uuid });
            claim.Parameters.Add(ClaimArgument(write));
            claim.Parameters.Add(new NpgsqlParameter { Value = (long)write.Events.Count, NpgsqlDbType = NpgsqlDbType.Bigint });
            batch.BatchCommands.Add(claim);
        }
        var versions = new long?[Writes.Count];
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        for (var i = 0; i < Writes.Count; i++)
        {
            await reader.NextResultAsync(cancellationToken);
            versions[i] = await reader.ReadAsync(cancellationToken) ? reader.GetInt64(0) : null;
        }
        return versions;
    }

    private async Task InsertAllAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long[] claimedVersions, List<WrittenEvent>[] written,
        CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        for (var i = 0; i < Writes.Count; i++)
        {
            var insert = new NpgsqlBatchCommand(_store.Sql.InsertEvents);
            var versionBefore = claimedVersions[i] - Writes[i].Events.Count;
            AddEventParameters(insert.Parameters, Writes[i], new NpgsqlParameter { Value = versionBefore, NpgsqlDbType = NpgsqlDbType.Bigint });
            batch.BatchCommands.Add(insert);
        }
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        for (var i = 0; i < Writes.Count; i++)
        {
            if (i > 0) await reader.NextResultAsync(cancellationToken);
            written[i] = await ReadWrittenAsync(reader, Writes[i].Events.Count, cancellationToken);
        }
    }

    private static async Task<List<WrittenEvent>> ReadWrittenAsync(NpgsqlDataReader reader, int expected, CancellationToken cancellationToken)
    {
        var rows = new List<WrittenEvent>(expected);
        while (await reader.ReadAsync(cancellationToken))
            rows.Add(new WrittenEvent(reader.GetInt64(0), reader.GetInt64(1), reader.GetFieldValue<ulong>(2)));
        rows.Sort((a, b) => a.Version.CompareTo(b.Version));
        return rows;
    }

    private async Task<AppendRejection> DiagnoseAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, StreamWrite write, CancellationToken cancellationToken)
    {
        if (transaction is not null) await transaction.RollbackAsync(cancellationToken);
        await using var command = new NpgsqlCommand(_store.Sql.ReadStreamVersion, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = write.StreamId, NpgsqlDbType = NpgsqlDbType.Uuid });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var (actual, archived) = await reader.ReadAsync(cancellationToken) ? (reader.GetInt64(0), reader.GetBoolean(1)) : (0L, false);
        return archived ? new AppendRejection.StreamArchived(write.StreamId)
            : write.Expected == ExpectedVersion.NoStream ? new AppendRejection.StreamAlreadyExists(write.StreamId, actual)
            : new AppendRejection.VersionConflict(write.StreamId, write.Expected.Value ?? actual, actual);
    }

    /// <summary>Runs first in every append that claims streams apart from inserting; see lock_streams.sql for why.</summary>
    private static NpgsqlBatchCommand LockStreams(StoreSql sql, IEnumerable<Guid> streamIds) => new(sql.LockStreams)
    {
        Parameters =
        {
            new NpgsqlParameter { Value = sql.StreamLockNamePrefix, NpgsqlDbType = NpgsqlDbType.Text },
            new NpgsqlParameter { Value = streamIds.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid },
        },
    };

    private static NpgsqlParameter ClaimArgument(StreamWrite write) => write.Expected.Value is null or 0
        ? new NpgsqlParameter { Value = (object?)write.StreamType ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text }
        : new NpgsqlParameter { Value = write.Expected.Value.Value, NpgsqlDbType = NpgsqlDbType.Bigint };

    /// <summary>The parameters every append statement shares; see the comments at the top of append_events.sql.</summary>
    private void AddEventParameters(NpgsqlParameterCollection parameters, StreamWrite write, NpgsqlParameter second)
    {
        parameters.Add(new NpgsqlParameter { Value = write.StreamId, NpgsqlDbType = NpgsqlDbType.Uuid });
        parameters.Add(second);
        parameters.Add(new NpgsqlParameter { Value = (long)write.Events.Count, NpgsqlDbType = NpgsqlDbType.Bigint });
        parameters.Add(new NpgsqlParameter { Value = write.Ids, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        parameters.Add(new NpgsqlParameter { Value = write.Names, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        parameters.Add(new NpgsqlParameter { Value = write.Data, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
        parameters.Add(Nullable(Metadata.CorrelationId, NpgsqlDbType.Uuid));
        parameters.Add(Nullable(Metadata.CausationId, NpgsqlDbType.Uuid));
        parameters.Add(Nullable(Metadata.ActedBy?.StoredKind, NpgsqlDbType.Text));
        parameters.Add(Nullable(Metadata.ActedBy?.Id, NpgsqlDbType.Uuid));
        parameters.Add(Nullable(Metadata.OrganisationId, NpgsqlDbType.Uuid));
        parameters.Add(new NpgsqlParameter { Value = RecordedAt, NpgsqlDbType = NpgsqlDbType.TimestampTz });
    }

    private static NpgsqlParameter Nullable(object? value, NpgsqlDbType type) => new() { Value = value ?? DBNull.Value, NpgsqlDbType = type };
}

/// <summary>A write of the caller's own in the save's transaction: a statement (sent in one round trip with the others) or a callback.</summary>
internal sealed record EnlistedWrite(Func<NpgsqlBatchCommand>? Statement, Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task>? Callback);

internal readonly record struct WrittenEvent(long Sequence, long Version, ulong TransactionId);

/// <summary>A group's transaction failed before its commit was sent, so it rolled back and wrote nothing.</summary>
internal sealed class GroupNotCommittedException(Exception inner) : Exception("The group's transaction rolled back before its commit.", inner);

/// <summary>A queued append made ready for the database: ids drawn, names looked up, data serialized.</summary>
internal sealed class StreamWrite
{
    public StreamWrite(Guid streamId, string? streamType, ExpectedVersion expected, List<object> events, EventStore store)
    {
        StreamId = streamId;
        StreamType = streamType;
        Expected = expected;
        Events = events;
        Ids = new Guid[Events.Count];
        Names = new string[Events.Count];
        Data = new string[Events.Count];
        for (var i = 0; i < Events.Count; i++)
        {
            Ids[i] = Guid.CreateVersion7();
            Names[i] = store.Types.NameOf(Events[i].GetType());
            Data[i] = store.Serialize(Events[i]);
        }
    }

    public Guid StreamId { get; }
    public string? StreamType { get; }
    public ExpectedVersion Expected { get; }
    public List<object> Events { get; }
    public Guid[] Ids { get; }
    public string[] Names { get; }
    public string[] Data { get; }

    public IEnumerable<RecordedEvent> Recorded(List<WrittenEvent> written, EventMetadata metadata, DateTimeOffset recordedAt) =>
        written.Select((row, i) => new RecordedEvent(row.Sequence, Ids[i], StreamId, row.Version, Names[i], Events[i], metadata, recordedAt, row.TransactionId));
}
