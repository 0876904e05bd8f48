using Patchwork.Testing;

namespace Patchwork.EventStore.Tests;

/// <summary>
/// Appending through Marten as the product does: the client's commands on Marten's own session at the version they decided
/// against (<see cref="EventStore.OpenWriteSession"/>), threads and agreements in a transaction of our own around it
/// (<see cref="WriteTransaction"/>). What is stored with each event, and what a refusal leaves behind: nothing.
/// </summary>
public sealed class AppendingTests(PostgresSchema schema) : IClassFixture<PostgresSchema>, IAsyncLifetime
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

        (await TestStores.WriteAsync(_store, e => e.StartStream(team, new TeamFormed(Guid.CreateVersion7()), new PractitionerJoined(SocialWorker, "allocated social worker")), metadata))
            .ShouldBeTrue();

        var events = await TestStores.StreamAsync(_store, team);
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

        (await TestStores.WriteAsync(_store, e => e.StartStream(team, new TeamFormed(Guid.CreateVersion7())))).ShouldBeFalse();

        (await TestStores.StreamAsync(_store, team)).Count.ShouldBe(1);
        (await SequenceAsync()).ShouldBe(before, "the refused start stored no event and drew no sequence number");
    }

    [Fact]
    public async Task Appending_at_the_version_read_extends_the_stream_and_at_a_stale_one_is_refused_and_burns_no_sequence_number()
    {
        var team = await FormTeamAsync();
        (await AppendAtAsync(team, 1, new PractitionerJoined(SocialWorker, "allocated social worker"))).ShouldBeTrue();
        var before = await SequenceAsync();

        (await AppendAtAsync(team, 1, new PractitionerJoined(PoliceOfficer, "investigating officer"))).ShouldBeFalse("the stream is at version 2");

        (await TestStores.StreamAsync(_store, team)).Count.ShouldBe(2);
        (await SequenceAsync()).ShouldBe(before, "the refusal stored no event and drew no sequence number");
    }

    [Fact]
    public async Task Appending_at_a_version_to_a_stream_that_does_not_exist_is_refused_and_burns_no_sequence_number()
    {
        var missing = Guid.CreateVersion7();
        var before = await SequenceAsync();

        (await AppendAtAsync(missing, 3, new PractitionerLeft(SocialWorker))).ShouldBeFalse();

        (await TestStores.StreamAsync(_store, missing)).ShouldBeEmpty();
        (await SequenceAsync()).ShouldBe(before, "the refusal stored no event and drew no sequence number");
    }

    [Fact]
    public async Task Appending_at_any_version_starts_a_missing_stream_and_extends_an_existing_one()
    {
        var team = Guid.CreateVersion7();

        (await TestStores.WriteAsync(_store, e => e.Append(team, new TeamFormed(Guid.CreateVersion7())))).ShouldBeTrue();
        (await TestStores.WriteAsync(_store, e => e.Append(team, new PractitionerJoined(SocialWorker, "health visitor")))).ShouldBeTrue();

        (await TestStores.StreamAsync(_store, team)).Select(e => e.Version).ShouldBe([1L, 2L]);
    }

    [Fact]
    public async Task A_save_across_streams_commits_every_stream_or_none()
    {
        var first = await FormTeamAsync();
        var second = await FormTeamAsync();
        (await AppendAtAsync(second, 1, new PractitionerJoined(PoliceOfficer, "investigating officer"))).ShouldBeTrue();

        var refused = await TestStores.WriteAsync(_store, e =>
        {
            e.Append(first, 2, new PractitionerJoined(SocialWorker, "allocated social worker"));
            e.Append(second, 2, new PractitionerJoined(SocialWorker, "allocated social worker"));
        });
        var saved = await TestStores.WriteAsync(_store, e =>
        {
            e.Append(first, 2, new PractitionerJoined(SocialWorker, "allocated social worker"));
            e.Append(second, 3, new PractitionerJoined(SocialWorker, "allocated social worker"));
        });

        refused.ShouldBeFalse("the second stream is at version 2, not 1");
        saved.ShouldBeTrue();
        // Nothing of the refused save is stored on either stream. (A refused multi-stream save may leave the sequence
        // number the first stream drew unused: a gap the subscriptions step over once no transaction can fill it.)
        (await TestStores.StreamAsync(_store, first)).Count.ShouldBe(2);
        (await TestStores.StreamAsync(_store, second)).Count.ShouldBe(3);
    }

    [Fact]
    public async Task Events_without_a_stable_name_are_refused_before_anything_is_written()
    {
        var stream = Guid.CreateVersion7();
        var before = await SequenceAsync();

        await using (var session = _store.OpenWriteSession(EventMetadata.None))
        {
            session.Events.StartStream(stream, new { Anonymous = true });
            (await Should.ThrowAsync<InvalidOperationException>(() => session.SaveChangesAsync())).Message.ShouldContain("no stable event name");
        }
        await Should.ThrowAsync<InvalidOperationException>(() => TestStores.WriteAsync(_store, e => e.Append(stream, new Unnamed(1))));

        (await TestStores.StreamAsync(_store, stream)).ShouldBeEmpty();
        (await SequenceAsync()).ShouldBe(before);
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
        (await TestStores.WriteAsync(_store, e => e.StartStream(team, new TeamFormed(Guid.CreateVersion7())))).ShouldBeTrue();
        return team;
    }

    /// <summary>
    /// Appends at the version the caller read, on Marten's own session as the client's commands do; false when Marten
    /// refused for optimistic concurrency. Marten's expected version is the one the stream will have after the append.
    /// </summary>
    private async Task<bool> AppendAtAsync(Guid stream, long read, params object[] events)
    {
        await using var session = _store.OpenWriteSession(EventMetadata.None);
        session.Events.Append(stream, read + events.Length, events);
        try
        {
            await session.SaveChangesAsync();
            return true;
        }
        catch (Exception e) when (ExceptionChain.IsConcurrencyRefusal(e))
        {
            return false;
        }
    }

    /// <summary>
    /// How many events are stored and the last sequence number drawn, compared around one refused save: what the test
    /// itself did, whatever the class's other tests (a refused multi-stream save may leave a number unused) did before it.
    /// </summary>
    private async Task<(long Events, long Drawn)> SequenceAsync() => (
        await TestStores.ScalarAsync<long>(_store, "SELECT count(*) FROM {schema}.mt_events"),
        await TestStores.ScalarAsync<long>(_store, "SELECT coalesce(pg_sequence_last_value('{schema}.mt_events_sequence'::regclass), 0)"));

    private sealed record Unnamed(int Value);
}
