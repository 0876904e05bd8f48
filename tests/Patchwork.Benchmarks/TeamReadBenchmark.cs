using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;
using Patchwork.Core;
using Patchwork.Core.Access;
using Patchwork.Core.Agreements;
using Patchwork.Core.Clients;
using Patchwork.Core.Consents;
using Patchwork.Core.Involvements;
using Patchwork.Core.Organisations;
using Patchwork.EventStore;

namespace Patchwork.Benchmarks;

/// <summary>
/// Q1 (DESIGN.md §7): "who is involved" for one client among 1M clients and 5M involvements, read through the
/// client's state (the inline projection's document) and decided by the access policy, beside a raw-SQL baseline that
/// fetches the same row by primary key and does nothing with it. The data set is seeded once by binary COPY into schema bench_q1 and
/// reused by later runs (it is several GB; `--reseed` rebuilds it).
/// </summary>
internal static class TeamReadBenchmark
{
    private const string Schema = "bench_q1";
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 9, 0, 0, TimeSpan.Zero);

    public static async Task RunAsync(string appConnection, string ownerConnection, int clients, bool reseed)
    {
        var options = new EventStoreOptions { Schema = Schema, ConnectionString = appConnection, MigrationConnectionString = ownerConnection };
        options.Events.RegisterFrom(typeof(ClientSharing).Assembly);
        options.AddClientState().AddPartnershipState();
        await using (var owner = NpgsqlDataSource.Create(ownerConnection))
        {
            if (reseed) await Execute(owner, $"DROP SCHEMA IF EXISTS {Schema} CASCADE");
            await EventStoreMigrations.ApplyAsync(options);
            await CoreSchema.MigrateAsync(owner, Schema, default);
        }
        var partnership = MakeCounty();
        await using var store = EventStore.EventStore.Create(options);
        await SeedAsync(store, options, partnership, clients);

        var policy = new PolicyOptions(MaskingKey.Generate());
        var reader = new ClientTeamReader(store, options, new FixedClock(Now), policy);
        var raw = $"SELECT data::text FROM {Schema}.mt_doc_client_state WHERE id = @client";
        var viewer = Viewer.ForPractitioner(Practitioner(0, 1), partnership.Organisations[1]);

        Console.WriteLine($"Q1 team read: {clients:N0} clients, {clients * 5L:N0} involvements; viewer is a police officer in each client's team");
        async Task RawRead(Random random)
        {
            await using var command = store.DataSource.CreateCommand(raw);
            command.Parameters.AddWithValue("client", ClientGuid(random.Next(clients)));
            _ = (string?)await command.ExecuteScalarAsync();
        }
        var visibleTotal = 0L;
        async Task TeamRead(Random random)
        {
            var team = await reader.TeamAsync(new ClientId(ClientGuid(random.Next(clients))), viewer, default)
                ?? throw new InvalidOperationException("a seeded client was not found");
            Interlocked.Add(ref visibleTotal, team.Visible.Length);
        }

        await Measure("warm-up raw", RawRead, concurrency: 8, TimeSpan.FromSeconds(5), print: false);
        await Measure("warm-up team", TeamRead, concurrency: 8, TimeSpan.FromSeconds(5), print: false);
        var rawLatency = await Measure("raw SQL, 1 reader ", RawRead, concurrency: 1, TimeSpan.FromSeconds(10));
        var teamLatency = await Measure("team+policy, 1 reader", TeamRead, concurrency: 1, TimeSpan.FromSeconds(10));
        var rawLoad = await Measure("raw SQL, 16 readers", RawRead, concurrency: 16, TimeSpan.FromSeconds(10));
        var teamLoad = await Measure("team+policy, 16 readers", TeamRead, concurrency: 16, TimeSpan.FromSeconds(10));
        if (visibleTotal == 0) throw new InvalidOperationException("the viewer saw nobody: the benchmark would measure nothing");

        static string Verdict(bool met) => met ? "meets" : "MISSES";
        Console.WriteLine($"Q1 p50 {teamLatency.P50:0.000} ms (goal <= 1.5; raw {rawLatency.P50:0.000} ms) → {Verdict(teamLatency.P50 <= 1.5)}, " +
                          $"p99 {teamLatency.P99:0.000} ms (goal <= 5; raw {rawLatency.P99:0.000} ms) → {Verdict(teamLatency.P99 <= 5)}, " +
                          $"throughput {teamLoad.PerSecond:N0}/s (goal >= 3,000) = {teamLoad.PerSecond / rawLoad.PerSecond:0.00} x raw {rawLoad.PerSecond:N0}/s → {Verdict(teamLoad.PerSecond >= 3_000)}");
    }

    private sealed record Figures(double P50, double P99, double PerSecond);

    private static async Task<Figures> Measure(string label, Func<Random, Task> read, int concurrency, TimeSpan duration, bool print = true)
    {
        var samples = new List<double>[concurrency];
        var until = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async worker =>
        {
            var random = new Random(worker * 7919 + label.Length);
            var mine = samples[worker] = new List<double>(200_000);
            while (until.Elapsed < duration)
            {
                var started = Stopwatch.GetTimestamp();
                await read(random);
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }));
        var all = samples.SelectMany(s => s).Order().ToArray();
        var figures = new Figures(all[all.Length / 2], all[(int)(all.Length * 0.99)], all.Length / until.Elapsed.TotalSeconds);
        if (print) Console.WriteLine($"  {label,-24} p50 {figures.P50,7:0.000} ms  p99 {figures.P99,7:0.000} ms  {figures.PerSecond,9:N0} reads/s");
        return figures;
    }

    private static async Task SeedAsync(EventStore.EventStore store, EventStoreOptions options, County county, int clients)
    {
        await using var command = store.DataSource.CreateCommand($"SELECT count(*) FROM {Schema}.mt_doc_client_state");
        var existing = (long)(await command.ExecuteScalarAsync())!;
        if (existing == clients) return;
        if (existing != 0) throw new InvalidOperationException($"{Schema} holds {existing:N0} clients, not {clients:N0}: run with --reseed");

        var seeding = Stopwatch.StartNew();
        await using (var write = await store.OpenWriteTransactionAsync(EventMetadata.None))
        {
            write.Session.Events.StartStream(Guid.CreateVersion7(), county.Events);
            if (!await write.CommitAsync(CancellationToken.None)) throw new InvalidOperationException("the partnership was refused");
        }

        // Documents are written as the projection writes them (its fold, Marten's serializer); the 5 involvements are one
        // per agency, plus a consent to the police.
        var serializer = store.Marten.Options.Serializer();
        var projection = new ClientStateProjection(options.Events);
        await using var connection = await store.DataSource.OpenConnectionAsync();
        await using (var copy = await connection.BeginBinaryImportAsync($"COPY {Schema}.mt_doc_client_state (id, data, mt_dotnet_type) FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = 0; i < clients; i++)
            {
                var client = new ClientId(ClientGuid(i));
                ClientState? state = null;
                foreach (var e in ClientHistory(i, client, county)) state = projection.Evolve(state, client.Value, new JasperFx.Events.Event<object>(e));
                await copy.StartRowAsync();
                await copy.WriteAsync(client.Value, NpgsqlDbType.Uuid);
                await copy.WriteAsync(serializer.ToJson(state!), NpgsqlDbType.Jsonb);
                await copy.WriteAsync(typeof(ClientState).FullName!, NpgsqlDbType.Varchar);
                if (i % 100_000 == 99_999) Console.WriteLine($"  seeded {i + 1:N0} clients ({seeding.Elapsed.TotalSeconds:0} s)");
            }
            await copy.CompleteAsync();
        }
        await using (var analyse = new NpgsqlCommand($"ANALYZE {Schema}.mt_doc_client_state", connection)) await analyse.ExecuteNonQueryAsync();
        Console.WriteLine($"  seeded {clients:N0} clients in {seeding.Elapsed.TotalSeconds:0} s");
    }

    private static IEnumerable<object> ClientHistory(int i, ClientId client, County county)
    {
        var by = new ActedBy(county.Organisations[0], null, null);
        for (var agency = 0; agency < county.Organisations.Length; agency++)
        {
            var category = agency == 2 && i % 10 == 0 ? Category.SexualHealth : Category.General;
            yield return new InvolvementRecorded(new InvolvementId(Derived(i, agency + 1)), client, Practitioner(i, agency), "key worker", null,
                category, new DateOnly(2026, 1, 1), new ContactRoute("01632 960000", "worker@example.org"), false,
                new ActedBy(county.Organisations[agency], Practitioner(i, agency), null), Now.AddDays(-300));
        }
        yield return new ConsentRecorded(new ConsentId(Derived(i, 99)), client, SharingScope.OrganisationNamed(county.Organisations[1]),
            CategoryScope.GeneralOnly, ConsentGiver.Client, new ConsentEvidence(EvidenceKind.Written, "form"), null, by, Now.AddDays(-200));
    }

    private sealed record County(OrganisationId[] Organisations, IReadOnlyList<object> Events);

    private static County MakeCounty()
    {
        Sector[] sectors = [Sector.SocialCare, Sector.Police, Sector.Health, Sector.Education, Sector.Voluntary];
        var organisations = sectors.Select((_, n) => new OrganisationId(Derived(-1, n))).ToArray();
        var by = new ActedBy(organisations[0], null, null);
        var events = new List<object>();
        for (var n = 0; n < sectors.Length; n++)
            events.Add(new OrganisationRegistered(organisations[n], $"Agency {n}", sectors[n], null, null, by, Now.AddYears(-2)));
        events.Add(new AgreementMade(new AgreementId(Derived(-1, 50)), "County agreement", [.. organisations],
            CategoryScope.GeneralAnd([.. Category.WellKnown.Where(c => c.IsSensitive)]), new DateOnly(2025, 1, 1), null, by, Now.AddYears(-1)));
        return new County(organisations, events);
    }

    private static PractitionerId Practitioner(int client, int agency) => new(Derived(client % 5_000, 1_000 + agency));

    private static Guid ClientGuid(int i) => Derived(i, 0);

    /// <summary>Deterministic ids, so a later run finds the clients an earlier run seeded.</summary>
    private static Guid Derived(int i, int part)
    {
        Span<byte> bytes = stackalloc byte[16];
        BitConverter.TryWriteBytes(bytes, i);
        BitConverter.TryWriteBytes(bytes[4..], part);
        BitConverter.TryWriteBytes(bytes[8..], 0x5157_4f52_4b51_31L);
        return new Guid(bytes);
    }

    private static async Task Execute(NpgsqlDataSource database, string sql)
    {
        await using var command = database.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
