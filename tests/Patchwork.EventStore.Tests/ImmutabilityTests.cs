using Npgsql;
using Patchwork.Testing;

namespace Patchwork.EventStore.Tests;

public sealed class ImmutabilityTests(PostgresSchema schema) : IClassFixture<PostgresSchema>, IAsyncLifetime
{
    private EventStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = await TestStores.StartAsync(schema);
        var session = _store.OpenSession();
        session.StartStream(Guid.CreateVersion7(), "team", new TeamFormed(Guid.CreateVersion7()));
        (await session.SaveChangesAsync()).IsSaved.ShouldBeTrue();
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    [Theory]
    [InlineData("UPDATE {schema}.events SET name = 'rewritten.v1'")]
    [InlineData("DELETE FROM {schema}.events")]
    [InlineData("TRUNCATE {schema}.events")]
    public async Task The_application_role_cannot_rewrite_or_erase_events(string sql)
    {
        var before = await TestStores.ScalarAsync<long>(_store, "SELECT count(*) FROM {schema}.events WHERE name = 'test.team-formed.v1'");

        var refused = await Should.ThrowAsync<PostgresException>(() => TestStores.ScalarAsync<object>(_store, sql));

        refused.SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
        (await TestStores.ScalarAsync<long>(_store, "SELECT count(*) FROM {schema}.events WHERE name = 'test.team-formed.v1'")).ShouldBe(before);
    }

    [Fact]
    public async Task Even_the_owner_role_meets_the_immutability_trigger()
    {
        var refused = await Should.ThrowAsync<PostgresException>(() => TestStores.AsOwnerAsync(schema, "UPDATE {schema}.events SET name = 'rewritten.v1'"));

        refused.MessageText.ShouldContain("events are immutable");
    }

    [Fact]
    public async Task The_application_role_can_still_append_and_read()
    {
        var team = Guid.CreateVersion7();
        var session = _store.OpenSession();
        session.StartStream(team, "team", new TeamFormed(Guid.CreateVersion7()));

        (await session.SaveChangesAsync()).IsSaved.ShouldBeTrue();
        (await _store.OpenSession().FetchStreamAsync(team)).Count.ShouldBe(1);
    }
}
