using Npgsql;
using Patchwork.Testing;

namespace Patchwork.EventStore.Tests;

public sealed class ImmutabilityTests(PostgresSchema schema) : IClassFixture<PostgresSchema>, IAsyncLifetime
{
    private EventStore _store = null!;
    private Guid _team;

    public async Task InitializeAsync()
    {
        _store = await TestStores.StartAsync(schema);
        _team = Guid.CreateVersion7();
        (await TestStores.WriteAsync(_store, e => e.StartStream(_team, new TeamFormed(Guid.CreateVersion7())))).ShouldBeTrue();
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    [Theory]
    [InlineData("UPDATE {schema}.mt_events SET type = 'rewritten.v1'")]
    [InlineData("UPDATE {schema}.mt_events SET is_archived = true")]
    [InlineData("DELETE FROM {schema}.mt_events")]
    [InlineData("TRUNCATE {schema}.mt_events")]
    [InlineData("DELETE FROM {schema}.mt_streams")]
    public async Task The_application_role_cannot_rewrite_or_erase_events(string sql)
    {
        var before = await TestStores.ScalarAsync<long>(_store, "SELECT count(*) FROM {schema}.mt_events WHERE type = 'test.team-formed.v1'");

        var refused = await Should.ThrowAsync<PostgresException>(() => TestStores.ScalarAsync<object>(_store, sql));

        refused.SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
        (await TestStores.ScalarAsync<long>(_store, "SELECT count(*) FROM {schema}.mt_events WHERE type = 'test.team-formed.v1'")).ShouldBe(before);
    }

    [Fact]
    public async Task Marten_cannot_archive_a_stream_as_the_application_role()
    {
        await using var session = _store.Marten.LightweightSession();
        session.Events.ArchiveStream(_team);

        var refused = await Should.ThrowAsync<Exception>(() => session.SaveChangesAsync());

        Unwrap(refused).ShouldNotBeNull().SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
        (await TestStores.StreamAsync(_store, _team)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task The_application_role_can_still_append_and_read()
    {
        var team = Guid.CreateVersion7();
        (await TestStores.WriteAsync(_store, e => e.StartStream(team, new TeamFormed(Guid.CreateVersion7())))).ShouldBeTrue();
        (await TestStores.StreamAsync(_store, team)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task Events_are_stored_under_their_stable_names_never_clr_type_names()
    {
        var names = await TestStores.ScalarAsync<string[]>(_store, "SELECT array_agg(DISTINCT type) FROM {schema}.mt_events");
        var dotnetTypes = await TestStores.ScalarAsync<string[]>(_store, "SELECT array_agg(DISTINCT coalesce(mt_dotnet_type, '')) FROM {schema}.mt_events");

        names.ShouldAllBe(name => name.StartsWith("test.", StringComparison.Ordinal) && name.EndsWith(".v1", StringComparison.Ordinal));
        dotnetTypes.ShouldNotBeNull();
    }

    private static PostgresException? Unwrap(Exception? e) => e switch
    {
        null => null,
        PostgresException postgres => postgres,
        AggregateException aggregate => aggregate.InnerExceptions.Select(Unwrap).FirstOrDefault(p => p is not null),
        _ => Unwrap(e.InnerException),
    };
}
