using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Patchwork.EventStore;

public static class EventStoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers the <see cref="EventStore"/> as a singleton over the application role's connections and,
    /// when <see cref="EventStoreOptions.MigrationConnectionString"/> is set, migrates its schema as the host starts.
    /// </summary>
    public static IServiceCollection AddPatchworkEventStore(this IServiceCollection services, Action<EventStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var options = new EventStoreOptions();
        configure(options);
        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(provider => EventStore.Create(options, provider.GetRequiredService<TimeProvider>(), provider.GetService<ILoggerFactory>()));
        if (options.MigrationConnectionString is not null) services.AddSchemaMigration((_, cancellationToken) => EventStoreMigrations.ApplyAsync(options, cancellationToken));
        return services;
    }

    /// <summary>
    /// Runs the named subscription in this host, handled by <typeparamref name="THandler"/> (a singleton).
    /// Every node may register it: only the leader handles events.
    /// </summary>
    public static IServiceCollection AddEventSubscription<THandler>(this IServiceCollection services, string name, Action<SubscriptionOptions>? configure = null)
        where THandler : class, ISubscriptionHandler
    {
        var options = new SubscriptionOptions();
        configure?.Invoke(options);
        services.TryAddSingleton<THandler>();
        services.AddSingleton<IHostedService>(provider => new SubscriptionService(
            provider.GetRequiredService<EventStore>().CreateSubscriptionRunner(name, provider.GetRequiredService<THandler>(), options)));
        return services;
    }
}

/// <summary>Hosts one subscription runner for the life of the application.</summary>
public sealed class SubscriptionService(SubscriptionRunner runner) : BackgroundService
{
    public SubscriptionRunner Runner { get; } = runner;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Runner.RunAsync(stoppingToken);
}
