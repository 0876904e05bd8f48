using Patchwork.Testing;

namespace Patchwork.EventStore.Tests;

public sealed class EventSessionTests(PostgresSchema schema) : IClassFixture<PostgresSchema>, IAsyncLifetime
{
    private static readonly Guid SocialWorker = Guid.CreateVersion7();
    private static readonly Guid PoliceOfficer = Guid.CreateVersion7();
    private EventStore _store = null!;

    public async Task InitializeAsync() => _store = await TestStores.StartAsync(schema);

    public async Task DisposeAsync() => await _store.DisposeAsync();

    [Fact]
    public async Task A_started_stream_reads_back_in_order_with_who_acted_and_why()
    {
        var team = Guid.CreateVersion7();
        var metadata = new EventMetadata(
            CorrelationId: Guid.CreateVersion7(),
            CausationId: Guid.CreateVersion7(),
            ActedBy: new ActingPrincipal(PrincipalKind.Practitioner, SocialWorker),
            OrganisationId: Guid.CreateVersion7(),
            Channel: "web");
        var session = _store.OpenSession(metadata);
        session.StartStream(team, "team", new TeamFormed(Guid.CreateVersion7()), new PractitionerJoined(SocialWorker, "allocated social worker"));

        var saved = await session.SaveChangesAsync();

        saved.IsSaved.ShouldBeTrue();
        saved.Streams.ShouldBe([new StreamVersion(team, 2)]);
        var events = await _store.OpenSession().FetchStreamAsync(team);
        events.Select(e => e.Version).ShouldBe([1L, 2L]);
        events.Select(e => e.Name).ShouldBe(["test.team-formed.v1", "test.practitioner-joined.v1"]);
        events[1].Data.ShouldBe(new PractitionerJoined(SocialWorker, "allocated social worker"));
        events.ShouldAllBe(e => e.Metadata == metadata && e.StreamId == team && e.Sequence > 0);
        events[0].Sequence.ShouldBeLessThan(events[1].Sequence);
        events[0].RecordedAt.Offset.ShouldBe(TimeSpan.Zero);
    }

    [Fact]
    public async Task Starting_a_stream_under_a_taken_id_is_refused_and_writes_nothing()
    {
        var team = await FormTeamAsync();
        var before = await SequenceAsync();
        var session = _store.OpenSession();
        session.StartStream(team, "team", new TeamFormed(Guid.CreateVersion7()));

        var saved = await session.SaveChangesAsync();

        saved.Rejection.ShouldBe(new AppendRejection.StreamAlreadyExists(team, 1));
        (await _store.OpenSession().FetchStreamAsync(team)).Count.ShouldBe(1);
        (await SequenceAsync()).ShouldBe(before, "the refused start stored no event and drew no sequence number");
    }

    [Fact]
    public async Task Appending_at_the_version_read_extends_the_stream()
    {
        var team = await FormTeamAsync();
        var session = _store.OpenSession();
        session.Append(team, ExpectedVersion.Exactly(1), new PractitionerJoined(SocialWorker, "allocated social worker"));

        var saved = await session.SaveChangesAsync();

        saved.Streams.ShouldBe([new StreamVersion(team, 2)]);
    }

    [Fact]
    public async Task Appending_at_a_stale_version_is_a_conflict_carrying_both_versions_and_burns_no_sequence_number()
    {
        var team = await FormTeamAsync();
        await AppendAsync(team, 1, new PractitionerJoined(SocialWorker, "allocated social worker"));
        var before = await SequenceAsync();

        var saved = await AppendAsync(team, 1, new PractitionerJoined(PoliceOfficer, "investigating officer"));

        saved.Rejection.ShouldBe(new AppendRejection.VersionConflict(team, Expected: 1, Actual: 2));
        (await _store.OpenSession().FetchStreamAsync(team)).Count.ShouldBe(2);
        (await SequenceAsync()).ShouldBe(before, "the conflict stored no event and drew no sequence number");
    }

    [Fact]
    public async Task Appending_to_a_stream_that_does_not_exist_at_a_version_is_a_conflict_with_version_zero()
    {
        var before = await SequenceAsync();
        var saved = await AppendAsync(Guid.CreateVersion7(), 3, new PractitionerLeft(SocialWorker));

        saved.Rejection.ShouldBeOfType<AppendRejection.VersionConflict>().Actual.ShouldBe(0);
        (await SequenceAsync()).ShouldBe(before, "the conflict stored no event and drew no sequence number");
    }

    [Fact]
    public async Task Appending_at_any_version_starts_a_missing_stream_and_extends_an_existing_one()
    {
        var team = Guid.CreateVersion7();

        (await AppendAsync(team, ExpectedVersion.Any, new TeamFormed(Guid.CreateVersion7()))).Streams.ShouldBe([new StreamVersion(team, 1)]);
        (await AppendAsync(team, ExpectedVersion.Any, new PractitionerJoined(SocialWorker, "health visitor"))).Streams.ShouldBe([new StreamVersion(team, 2)]);
    }

    [Fact]
    public async Task Aggregating_a_stream_folds_its_events_into_state()
    {
        var team = await FormTeamAsync();
        await AppendAsync(team, 1, new PractitionerJoined(SocialWorker, "allocated social worker"), new PractitionerJoined(PoliceOfficer, "investigating officer"));
        await AppendAsync(team, 3, new PractitionerLeft(SocialWorker));

        var state = await _store.OpenSession().AggregateStreamAsync<Team?>(team, null, Team.Evolve);

        state.ShouldNotBeNull().Members.Keys.ShouldBe([PoliceOfficer]);
    }

    [Fact]
    public async Task Fetching_for_writing_gives_the_state_and_the_version_to_append_at()
    {
        var team = await FormTeamAsync();
        await AppendAsync(team, 1, new PractitionerJoined(SocialWorker, "allocated social worker"));
        var session = _store.OpenSession();

        var current = await session.FetchForWritingAsync<Team?>(team, null, Team.Evolve);
        session.Append(team, current.ExpectedVersion, new PractitionerLeft(SocialWorker));
        var saved = await session.SaveChangesAsync();

        current.Version.ShouldBe(2);
        current.State.ShouldNotBeNull().Members.Count.ShouldBe(1);
        saved.Streams.ShouldBe([new StreamVersion(team, 3)]);
    }

    [Fact]
    public async Task Fetching_a_stream_that_does_not_exist_for_writing_gives_version_zero()
    {
        var current = await _store.OpenSession().FetchForWritingAsync<Team?>(Guid.CreateVersion7(), null, Team.Evolve);

        current.Exists.ShouldBeFalse();
        current.ExpectedVersion.ShouldBe(ExpectedVersion.NoStream);
    }

    [Fact]
    public async Task Sessions_appending_at_any_version_to_one_busy_stream_all_save_and_number_it_without_gaps()
    {
        // Marten reads the version of an "any version" append without a lock; without the session's ordered row lock
        // these writers race for each next version and a busy stream refuses some of them again and again.
        const int Writers = 32, EachWrites = 25;
        var team = await FormTeamAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, Writers).Select(_ => Task.Run(async () =>
        {
            var saved = new List<SaveResult>();
            for (var i = 0; i < EachWrites; i++)
                saved.Add(await AppendAsync(team, ExpectedVersion.Any, new PractitionerJoined(SocialWorker, "allocated social worker")));
            return saved;
        })));

        results.SelectMany(r => r).ShouldAllBe(r => r.IsSaved);
        var versions = results.SelectMany(r => r).Select(r => r.Streams.Single().Version).Order().ToList();
        versions.ShouldBe(Enumerable.Range(2, Writers * EachWrites).Select(v => (long)v).ToList());
    }

    [Fact]
    public async Task A_save_across_streams_commits_every_stream_or_none()
    {
        var first = await FormTeamAsync();
        var second = await FormTeamAsync();
        await AppendAsync(second, 1, new PractitionerJoined(PoliceOfficer, "investigating officer"));
        var session = _store.OpenSession();
        session.Append(first, 1, new PractitionerJoined(SocialWorker, "allocated social worker"));
        session.Append(second, 1, new PractitionerJoined(SocialWorker, "allocated social worker"));

        var refused = await session.SaveChangesAsync();
        session.Append(first, 1, new PractitionerJoined(SocialWorker, "allocated social worker"));
        session.Append(second, 2, new PractitionerJoined(SocialWorker, "allocated social worker"));
        var saved = await session.SaveChangesAsync();

        refused.Rejection.ShouldBe(new AppendRejection.VersionConflict(second, 1, 2));
        saved.Streams.ShouldBe([new StreamVersion(first, 2), new StreamVersion(second, 3)], ignoreOrder: true);
        // Nothing of the refused save is stored on either stream. (A refused multi-stream save may leave the sequence
        // number the first stream drew unused: a gap the subscriptions step over once no transaction can fill it.)
        (await _store.OpenSession().FetchStreamAsync(first)).Count.ShouldBe(2);
        (await _store.OpenSession().FetchStreamAsync(second)).Count.ShouldBe(3);
    }

    [Fact]
    public async Task Events_without_a_stable_name_are_refused_before_anything_is_written()
    {
        var session = _store.OpenSession();

        Should.Throw<InvalidOperationException>(() =>
        {
            session.Append(Guid.CreateVersion7(), ExpectedVersion.Any, new { Anonymous = true });
            return session.SaveChangesAsync();
        });
    }

    [Fact]
    public async Task A_read_in_a_transaction_whose_connection_broke_fails_with_the_break_itself_not_a_retry_on_the_dead_transaction()
    {
        // A database killed under a save breaks the connection its transaction is on. Retrying a read there cannot work (the
        // transaction went with the connection); Marten's default read retries tried, and the caller saw "Transaction is
        // already completed" (a 500) instead of the outage (a 503 with Retry-After). Found by PostgresRestartTests on CI.
        await using var connection = await _store.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var other = await _store.DataSource.OpenConnectionAsync())
        await using (var terminate = new Npgsql.NpgsqlCommand("SELECT pg_terminate_backend($1)", other))
        {
            terminate.Parameters.Add(new Npgsql.NpgsqlParameter { Value = connection.ProcessID });
            (await terminate.ExecuteScalarAsync()).ShouldBe(true);
        }
        await using var session = _store.Marten.LightweightSession(Marten.Services.SessionOptions.ForTransaction(transaction));

        var failure = await Should.ThrowAsync<Exception>(() => session.Events.FetchStreamAsync(Guid.CreateVersion7()));

        // Marten wraps it (MartenCommandException); the connection's end is within, as PostgreSQL or the socket reported it.
        var chain = new List<Exception>();
        for (var e = (Exception?)failure; e is not null; e = e.InnerException) chain.Add(e);
        chain.OfType<InvalidOperationException>().ShouldBeEmpty(failure.ToString());
        chain.OfType<Npgsql.NpgsqlException>().Any(e => e.IsTransient || (e as Npgsql.PostgresException)?.SqlState == Npgsql.PostgresErrorCodes.AdminShutdown)
            .ShouldBeTrue(failure.ToString());
    }

    private async Task<Guid> FormTeamAsync()
    {
        var team = Guid.CreateVersion7();
        var session = _store.OpenSession();
        session.StartStream(team, "team", new TeamFormed(Guid.CreateVersion7()));
        (await session.SaveChangesAsync()).IsSaved.ShouldBeTrue();
        return team;
    }

    private Task<SaveResult> AppendAsync(Guid stream, ExpectedVersion expected, params object[] events)
    {
        var session = _store.OpenSession();
        session.Append(stream, expected, events);
        return session.SaveChangesAsync();
    }

    /// <summary>
    /// How many events are stored and the last sequence number drawn, compared around one refused save: what the test
    /// itself did, whatever the class's other tests (a refused multi-stream save may leave a number unused) did before it.
    /// </summary>
    private async Task<(long Events, long Drawn)> SequenceAsync() => (
        await TestStores.ScalarAsync<long>(_store, "SELECT count(*) FROM {schema}.mt_events"),
        await TestStores.ScalarAsync<long>(_store, "SELECT coalesce(pg_sequence_last_value('{schema}.mt_events_sequence'::regclass), 0)"));
}
