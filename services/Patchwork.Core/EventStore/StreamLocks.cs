using Npgsql;

namespace Patchwork.EventStore;

internal static class StreamLocks
{
    /// <summary>
    /// Marten's append reads the stream's version without a lock when no version is expected, so two sessions appending
    /// "at any version" to one stream race for its next version (or to start it) and the loser is refused — again and
    /// again on a busy stream. Such sessions first take a transaction-scoped advisory lock per stream, in id order, so
    /// they wait their turn instead; the order also keeps two sessions that append to the same streams from
    /// deadlocking. Advisory locks, not the streams' rows: a stream being started has no row yet, and a row lock would
    /// stand in the way of the foreign-key checks of events appended at an expected version. The two-key form keeps
    /// these locks apart from single-key advisory locks (Marten's daemon, the relays' leadership).
    /// A save of an event of a serialised kind (<see cref="EventStoreOptions.SerialisedAppends"/>) also locks that
    /// kind's name, in the same order, before Marten loads the document its inline projection will fold the event into.
    /// </summary>
    public static async Task TakeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, EventStoreOptions options,
        IReadOnlyList<(Guid Id, bool AnyVersion)> streams, IEnumerable<Type> eventTypes, CancellationToken cancellationToken)
    {
        var serialised = options.SerialisedAppends;
        var names = serialised.Count == 0 ? [] : eventTypes
            .Select(type => serialised.TryGetValue(type, out var name) ? name : null).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        // One stream at a version the caller decided against needs no lock: Marten's exclusive append lock refuses the loser.
        var ids = streams.Count == 1 && !streams[0].AnyVersion ? [] : streams.Select(s => s.Id.ToString());
        var keys = ids.Concat(names).Order(StringComparer.Ordinal).ToArray();
        if (keys.Length == 0) return;
        // unnest yields the keys in the array's order, so the locks are taken in that order.
        await using var command = new NpgsqlCommand(
            $"SELECT pg_advisory_xact_lock({StreamLockClass}, hashtext(id)) FROM unnest(@ids::text[]) AS id", connection, transaction);
        command.Parameters.AddWithValue("ids", keys);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The first key of the streams' advisory locks ("PWST").</summary>
    private const int StreamLockClass = 0x50575354;
}
