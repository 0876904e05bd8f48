using Patchwork.Testing;

namespace Patchwork.EventStore.Tests;

public sealed class EventStoreMigrationsTests(PostgresSchema schema) : IClassFixture<PostgresSchema>
{
    [Fact]
    public async Task Migrating_again_and_from_several_nodes_at_once_changes_nothing_and_keeps_the_events()
    {
        var options = TestStores.Options(schema);
        await EventStoreMigrations.ApplyAsync(options);
        await using var store = EventStore.Create(options);
        var team = Guid.CreateVersion7();
        (await TestStores.WriteAsync(store, e => e.StartStream(team, new TeamFormed(Guid.CreateVersion7())))).ShouldBeTrue();

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => EventStoreMigrations.ApplyAsync(options)));
        await EventStoreMigrations.ApplyAsync(options);

        (await TestStores.StreamAsync(store, team)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task A_schema_name_that_is_not_a_plain_identifier_is_refused_before_any_sql_runs()
    {
        var options = TestStores.Options(schema);
        options.Schema = schema.Name + "\"; DROP TABLE x; --";

        await Should.ThrowAsync<ArgumentException>(() => EventStoreMigrations.ApplyAsync(options));
    }

    [Fact]
    public async Task After_the_owner_applies_the_schema_the_database_matches_what_the_code_configures()
    {
        var options = TestStores.Options(schema);
        await EventStoreMigrations.ApplyAsync(options);
        await using var store = EventStore.Create(options);

        // Marten's db-assert, as the application role: it throws, listing the differences, when the schema has drifted.
        await store.Marten.Storage.Database.AssertDatabaseMatchesConfigurationAsync();
    }
}
