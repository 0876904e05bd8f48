using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Patchwork.EventStore;
using Patchwork.Server.Tests.Api;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.Foundation;

/// <summary>
/// Marten's db-assert against the product's own configuration, after the host started as it does in production: the
/// owner applied the schema, the application role runs with AutoCreate.None. A change to what the code configures that no
/// migration applies fails here, in CI.
/// </summary>
public sealed class SchemaMatchesCodeTests(ApiServer server) : IClassFixture<ApiServer>
{
    [Fact]
    public async Task The_database_the_host_runs_on_matches_what_its_code_configures_and_a_drift_is_caught()
    {
        var store = server.Services.GetRequiredService<EventStore.EventStore>();
        store.Schema.ShouldBe(server.Schema, "the host's own schema, not a shared one");

        // Throws, listing every difference, when the database has drifted from the configuration.
        await store.Marten.Storage.Database.AssertDatabaseMatchesConfigurationAsync();

        // The positive control: a table the configuration needs goes missing, and the check says so.
        await using (var owner = new NpgsqlConnection(LocalServers.PostgresOwner))
        {
            await owner.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP TABLE \"{server.Schema}\".mt_event_progression", owner);
            await drop.ExecuteNonQueryAsync();
        }
        await Should.ThrowAsync<Exception>(() => store.Marten.Storage.Database.AssertDatabaseMatchesConfigurationAsync());

        // The owner's migration puts it back, and the check passes again.
        await EventStoreMigrations.ApplyAsync(new EventStoreOptions
        {
            Schema = server.Schema, ConnectionString = LocalServers.PostgresApp, MigrationConnectionString = LocalServers.PostgresOwner,
        });
        await store.Marten.Storage.Database.AssertDatabaseMatchesConfigurationAsync();
    }
}
