using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Patchwork.EventStore;

/// <summary>
/// The one shell every module's schema comes through: its migration runs as the host starts, before any hosted service
/// (relays, endpoints) looks for a table, in the order the modules registered. Each migration is idempotent and serialised
/// across nodes by its own advisory lock, so every node of a cluster runs it at every start.
/// </summary>
public static class SchemaMigrationServiceCollectionExtensions
{
    /// <summary>Runs <paramref name="migrate"/> as the host starts.</summary>
    public static IServiceCollection AddSchemaMigration(this IServiceCollection services, Func<IServiceProvider, CancellationToken, Task> migrate)
    {
        ArgumentNullException.ThrowIfNull(migrate);
        // Not AddHostedService: it adds one hosted service per implementation type, and every module's is a SchemaMigration.
        return services.AddSingleton<IHostedService>(provider => new SchemaMigration(cancellationToken => migrate(provider, cancellationToken)));
    }

    /// <summary>Applies a module's scripts with a pool of the owner role's connections made for the purpose and closed after.</summary>
    public static IServiceCollection AddSchemaMigration(this IServiceCollection services, string ownerConnectionString,
        Func<IServiceProvider, NpgsqlDataSource, CancellationToken, Task> migrate) =>
        services.AddSchemaMigration(async (provider, cancellationToken) =>
        {
            await using var owner = NpgsqlDataSource.Create(ownerConnectionString);
            await migrate(provider, owner, cancellationToken);
        });

    private sealed class SchemaMigration(Func<CancellationToken, Task> migrate) : IHostedLifecycleService
    {
        public Task StartingAsync(CancellationToken cancellationToken) => migrate(cancellationToken);

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
