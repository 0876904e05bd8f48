using System.Diagnostics;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Patchwork.EventStore;
using Patchwork.Testing;

namespace Patchwork.Benchmarks;

/// <summary>An involvement-sized event of the benchmark's own, so the figures do not move when Core's events change.</summary>
[EventName("bench.involvement-noted.v1")]
public sealed record InvolvementNoted(Guid Involvement, Guid Client, Guid Practitioner, Guid Organisation, string Role, string Category, DateOnly Start);

/// <summary>Appends through the store, and the same rows through plain INSERTs into a table of the same shape.</summary>
internal sealed class Appends(EventStore.EventStore store, string schema, int writers, int eventsPerAppend)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly EventMetadata Metadata = new(Guid.CreateVersion7(), Guid.CreateVersion7(),
        new ActingPrincipal(PrincipalKind.PartnerSystem, Guid.CreateVersion7()), Guid.CreateVersion7());

    private readonly string _insert = $"""
        INSERT INTO "{schema}".raw_events (id, stream_id, version, name, data, correlation_id, causation_id, actor_kind, actor_id, organisation_id, recorded_at)
        VALUES {string.Join(", ", Enumerable.Range(0, eventsPerAppend).Select(r => "(" + string.Join(", ", Enumerable.Range(1, 11).Select(c => $"${r * 11 + c}")) + ")"))}
        """;

    /// <summary>The raw baseline's table: the old hand-written store's event row, one INSERT per event, no Marten.</summary>
    public static string RawTable(string schema, string applicationRole) => $"""
        CREATE TABLE "{schema}".raw_events (
            seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, id uuid NOT NULL UNIQUE, stream_id uuid NOT NULL, version bigint NOT NULL,
            name text NOT NULL, data jsonb NOT NULL, correlation_id uuid NULL, causation_id uuid NULL, actor_kind text NULL, actor_id uuid NULL,
            organisation_id uuid NULL, recorded_at timestamptz NOT NULL, UNIQUE (stream_id, version));
        GRANT SELECT, INSERT ON "{schema}".raw_events TO {applicationRole}
        """;

    /// <summary>
    /// Appends as the product's client commands make them: the store's write session (Marten's, every event stamped with
    /// the command's metadata), a new stream started, an existing one appended to at the version the writer expects.
    /// </summary>
    public async Task<double> StoreAsync(TimeSpan window)
    {
        return await RunAsync(window, async (writer, until) =>
        {
            long written = 0, version = 0;
            var stream = Guid.CreateVersion7();
            while (Stopwatch.GetTimestamp() < until)
            {
                if (eventsPerAppend > 1 || version >= 50) (stream, version) = (Guid.CreateVersion7(), 0);
                await using (var session = store.OpenWriteSession(Metadata))
                {
                    var events = Events();
                    // Marten's expected version is the one the stream will have after the append.
                    if (version == 0) session.Events.StartStream(stream, events);
                    else session.Events.Append(stream, version + events.Count, events);
                    try
                    {
                        await session.SaveChangesAsync();
                    }
                    catch (Exception e) when (ExceptionChain.IsConcurrencyRefusal(e))
                    {
                        throw new InvalidOperationException($"Benchmark append refused: stream {stream} was not at version {version}", e);
                    }
                }
                version += eventsPerAppend;
                written += eventsPerAppend;
            }
            return written;
        });
    }

    /// <summary>
    /// The same appends through Marten alone, without the store: a bare lightweight session that opens its own connection
    /// and transaction, Quick append at the expected version, no metadata stamped on the events (correlation, causation,
    /// actor and organisation headers). Where P1's time goes between Marten and the store's write session.
    /// </summary>
    public async Task<double> MartenAsync(TimeSpan window)
    {
        return await RunAsync(window, async (writer, until) =>
        {
            long written = 0, version = 0;
            var stream = Guid.CreateVersion7();
            while (Stopwatch.GetTimestamp() < until)
            {
                if (eventsPerAppend > 1 || version >= 50) (stream, version) = (Guid.CreateVersion7(), 0);
                await using (var session = store.Marten.LightweightSession())
                {
                    if (version == 0) session.Events.StartStream(stream, Events());
                    else session.Events.Append(stream, version + eventsPerAppend, Events());
                    await session.SaveChangesAsync();
                }
                version += eventsPerAppend;
                written += eventsPerAppend;
            }
            return written;
        });
    }

    public async Task<double> RawAsync(TimeSpan window)
    {
        return await RunAsync(window, async (writer, until) =>
        {
            long written = 0, version = 0;
            var stream = Guid.CreateVersion7();
            await using var connection = await store.DataSource.OpenConnectionAsync();
            while (Stopwatch.GetTimestamp() < until)
            {
                if (eventsPerAppend > 1 || version >= 50) (stream, version) = (Guid.CreateVersion7(), 0);
                await InsertAsync(connection, stream, version, Events());
                version += eventsPerAppend;
                written += eventsPerAppend;
            }
            return written;
        });
    }

    /// <summary>The raw baseline's statement: the events as rows after <paramref name="version"/>, one plain INSERT, committed on its own.</summary>
    public async Task InsertAsync(NpgsqlConnection connection, Guid stream, long version, IReadOnlyList<InvolvementNoted> events)
    {
        if (events.Count != eventsPerAppend) throw new ArgumentException($"Give {eventsPerAppend} events.", nameof(events));
        await using var command = new NpgsqlCommand(_insert, connection);
        foreach (var e in events)
        {
            version++;
            command.Parameters.Add(new NpgsqlParameter { Value = Guid.CreateVersion7(), NpgsqlDbType = NpgsqlDbType.Uuid });
            command.Parameters.Add(new NpgsqlParameter { Value = stream, NpgsqlDbType = NpgsqlDbType.Uuid });
            command.Parameters.Add(new NpgsqlParameter { Value = version, NpgsqlDbType = NpgsqlDbType.Bigint });
            command.Parameters.Add(new NpgsqlParameter { Value = EventNameAttribute.Of<InvolvementNoted>(), NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(e, Json), NpgsqlDbType = NpgsqlDbType.Jsonb });
            command.Parameters.Add(new NpgsqlParameter { Value = Metadata.CorrelationId!.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
            command.Parameters.Add(new NpgsqlParameter { Value = Metadata.CausationId!.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
            command.Parameters.Add(new NpgsqlParameter { Value = "partner-system", NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter { Value = Metadata.ActedBy!.Id, NpgsqlDbType = NpgsqlDbType.Uuid });
            command.Parameters.Add(new NpgsqlParameter { Value = Metadata.OrganisationId!.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
            command.Parameters.Add(new NpgsqlParameter { Value = DateTimeOffset.UtcNow, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        }
        await command.PrepareAsync();
        await command.ExecuteNonQueryAsync();
    }

    private List<InvolvementNoted> Events() =>
        Enumerable.Range(0, eventsPerAppend).Select(_ => new InvolvementNoted(Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7(),
            Guid.CreateVersion7(), "allocated social worker", "general", new DateOnly(2026, 11, 2))).ToList();

    private async Task<double> RunAsync(TimeSpan window, Func<int, long, Task<long>> writer)
    {
        var started = Stopwatch.GetTimestamp();
        var until = started + (long)(window.TotalSeconds * Stopwatch.Frequency);
        var written = await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(() => writer(w, until))));
        return written.Sum() / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }
}

/// <summary>A fresh subscription reading the whole log, and a plain keyset-paged SELECT of the same rows.</summary>
internal sealed class CatchUp(EventStore.EventStore store, string schema)
{
    public async Task<double> SubscriptionAsync()
    {
        var total = await Sql.ScalarAsync<long>(store.DataSource, $"""SELECT count(*) FROM "{schema}".mt_events""");
        var counter = new Counter(total);
        var runner = store.CreateSubscriptionRunner("bench-catch-up-" + Guid.NewGuid().ToString("N")[..6], counter, new SubscriptionOptions
        {
            PageSize = 1_000,
            PollInterval = TimeSpan.FromMilliseconds(100),
        });
        using var stop = new CancellationTokenSource();
        var started = Stopwatch.GetTimestamp();
        var running = runner.RunAsync(stop.Token);
        await counter.AllSeen.Task.WaitAsync(TimeSpan.FromMinutes(2));
        var elapsed = Stopwatch.GetElapsedTime(started);
        await stop.CancelAsync();
        await running;
        return total / elapsed.TotalSeconds;
    }

    public async Task<double> RawAsync()
    {
        var started = Stopwatch.GetTimestamp();
        long after = 0, read = 0;
        await using var connection = await store.DataSource.OpenConnectionAsync();
        while (true)
        {
            await using var command = new NpgsqlCommand($"""
                SELECT seq_id, id, stream_id, version, type, data::text, correlation_id, causation_id, headers::text, timestamp
                FROM "{schema}".mt_events WHERE seq_id > $1 ORDER BY seq_id LIMIT 1000
                """, connection);
            command.Parameters.Add(new NpgsqlParameter { Value = after });
            await using var reader = await command.ExecuteReaderAsync();
            var page = 0;
            while (await reader.ReadAsync())
            {
                after = reader.GetInt64(0);
                _ = JsonSerializer.Deserialize<InvolvementNoted>(reader.GetString(5), new JsonSerializerOptions(JsonSerializerDefaults.Web));
                page++;
            }
            if (page == 0) break;
            read += page;
        }
        return read / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    private sealed class Counter(long total) : ISubscriptionHandler
    {
        private long _seen;

        public TaskCompletionSource AllSeen { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task HandleAsync(SubscriptionPage page, CancellationToken cancellationToken)
        {
            if ((_seen += page.Events.Count) >= total) AllSeen.TrySetResult();
            return Task.CompletedTask;
        }
    }
}

internal static class Sql
{
    public static async Task AsOwnerAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(LocalServers.PostgresOwner);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public static async Task<T> ScalarAsync<T>(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public static async Task<string> DurabilityAsync(NpgsqlDataSource dataSource) =>
        $"fsync={await ScalarAsync<string>(dataSource, "SHOW fsync")}, synchronous_commit={await ScalarAsync<string>(dataSource, "SHOW synchronous_commit")}";

    /// <summary>
    /// The durability line, or <see cref="NotDurableException"/> when fsync or synchronous_commit is off: a figure from a
    /// cluster that does not flush its commits is not the figure the benchmark rules ask for, so none is reported.
    /// </summary>
    public static async Task<string> RequireDurableAsync(NpgsqlDataSource dataSource)
    {
        var durability = await DurabilityAsync(dataSource);
        if (!durability.Contains("fsync=on", StringComparison.Ordinal) || !durability.Contains("synchronous_commit=on", StringComparison.Ordinal))
            throw new NotDurableException(durability);
        return durability;
    }
}

/// <summary>The cluster does not flush its commits; the benchmark refuses to report.</summary>
internal sealed class NotDurableException(string durability)
    : Exception($"PostgreSQL is not durable ({durability}): the benchmarks report only from a cluster with fsync and synchronous_commit on. " +
                "Run them with ./patchwork bench, which starts one (infra/local up --durable).");

/// <summary>Waits for a process's memory to settle: the condition a memory figure is read after, not a fixed delay.</summary>
internal static class Settling
{
    /// <summary>
    /// Samples <paramref name="read"/> every half second until five samples in a row lie within 1% of one another (or
    /// <paramref name="deadline"/> passes, which is an error: an unsettled figure is not reported). Returns the last sample.
    /// </summary>
    public static async Task<long> StableAsync(Func<long> read, string what, TimeSpan deadline)
    {
        var until = System.Diagnostics.Stopwatch.StartNew();
        var window = new Queue<long>();
        while (true)
        {
            window.Enqueue(read());
            if (window.Count > 5) window.Dequeue();
            if (window.Count == 5 && window.Max() - window.Min() <= Math.Max(1, window.Max() / 100)) return window.Last();
            if (until.Elapsed > deadline)
                throw new TimeoutException($"{what} did not settle within {deadline.TotalSeconds:0} s (last samples: {string.Join(", ", window)} bytes)");
            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }
    }
}
