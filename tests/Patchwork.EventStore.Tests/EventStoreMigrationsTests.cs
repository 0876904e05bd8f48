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
        var session = store.OpenSession();
        session.StartStream(team, "team", new TeamFormed(Guid.CreateVersion7()));
        await session.SaveChangesAsync();

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => EventStoreMigrations.ApplyAsync(options)));
        await EventStoreMigrations.ApplyAsync(options);

        (await store.OpenSession().FetchStreamAsync(team)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task A_schema_name_that_needs_quoting_is_only_ever_an_identifier()
    {
        var awkward = schema.Name + "\"; DROP TABLE x; --";
        var options = TestStores.Options(schema);
        options.Schema = awkward;
        try
        {
            await EventStoreMigrations.ApplyAsync(options);
            await using var store = EventStore.Create(options);
            var session = store.OpenSession();
            session.StartStream(Guid.CreateVersion7(), "team", new TeamFormed(Guid.CreateVersion7()));

            (await session.SaveChangesAsync()).IsSaved.ShouldBeTrue();
        }
        finally
        {
            await TestStores.AsOwnerAsync(schema, $"DROP SCHEMA IF EXISTS \"{awkward.Replace("\"", "\"\"", StringComparison.Ordinal)}\" CASCADE");
        }
    }
}
