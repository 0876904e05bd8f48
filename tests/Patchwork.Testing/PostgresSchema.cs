using Npgsql;

namespace Patchwork.Testing;

/// <summary>
/// A PostgreSQL schema of its own for one test class, made by the owner role and dropped afterwards,
/// so test classes run in parallel against the one local cluster without seeing each other's rows.
/// </summary>
public sealed class PostgresSchema : IAsyncLifetime
{
    private readonly PrivatePostgres? _cluster;

    /// <summary>A schema in the shared local cluster (as a class fixture).</summary>
    public PostgresSchema()
    {
    }

    private PostgresSchema(PrivatePostgres cluster) => _cluster = cluster;

    /// <summary>A schema in a test's own cluster, which the test may kill; <see cref="InitializeAsync"/> makes it.</summary>
    public static PostgresSchema On(PrivatePostgres cluster) => new(cluster);

    public string Name { get; } = "t_" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>Connection string of the application role (insert and read only, as in production).</summary>
    public string AppConnectionString => _cluster?.AppConnectionString ?? LocalServers.PostgresApp;

    /// <summary>Connection string of the owner role, which runs migrations.</summary>
    public string OwnerConnectionString => _cluster?.OwnerConnectionString ?? LocalServers.PostgresOwner;

    public async Task InitializeAsync()
    {
        await using var connection = new NpgsqlConnection(OwnerConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE SCHEMA \"{Name}\"", connection);
        await command.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        await using var connection = new NpgsqlConnection(OwnerConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{Name}\" CASCADE", connection);
        await command.ExecuteNonQueryAsync();
    }
}
