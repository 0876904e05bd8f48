using JasperFx;
using JasperFx.Events;
using Marten;
using Npgsql;
using Weasel.Core;

namespace Patchwork.EventStore;

/// <summary>
/// The one Marten configuration every store of ours is built from — the application's, each subscription's and the
/// owner's migrating one — so they all agree on the schema, the event names and the serializer.
/// </summary>
internal static class MartenConfiguration
{
    public static StoreOptions For(NpgsqlDataSource dataSource, EventStoreOptions options, TimeProvider clock, AutoCreate autoCreate = AutoCreate.None)
    {
        var marten = new StoreOptions();
        marten.Connection(dataSource);
        marten.DatabaseSchemaName = options.Schema;
        marten.Events.DatabaseSchemaName = options.Schema;
        // The application role may not change the schema: the owner applies it (EventStoreMigrations).
        marten.AutoCreateSchemaObjects = autoCreate;
        marten.Events.StreamIdentity = StreamIdentity.AsGuid;
        marten.Events.AppendMode = EventAppendMode.Quick;
        marten.Events.TimeProvider = clock;
        marten.Events.EnableUniqueIndexOnEventId = true;
        // A losing expected-version append waits for the winner and fails before it draws a sequence number: no gap
        // is left behind for the daemon to wait on.
        marten.Events.UseExclusiveLockOnConcurrentAppends = true;
        // Subscriptions wake on commit instead of polling.
        marten.Events.UseListenNotifyForEventAppends = true;
        marten.Events.MetadataConfig.CorrelationIdEnabled = true;
        marten.Events.MetadataConfig.CausationIdEnabled = true;
        marten.Events.MetadataConfig.HeadersEnabled = true;
        // Spans for each session's connection and a counter of appended events by type, under Marten's own source and
        // meter ("Marten"); they cost nothing unless a tracer or meter provider listens.
        marten.OpenTelemetry.TrackConnections = JasperFx.OpenTelemetry.TrackLevel.Normal;
        marten.OpenTelemetry.TrackEventCounters();
        marten.UseSystemTextJsonForSerialization(new System.Text.Json.JsonSerializerOptions(options.Json), EnumStorage.AsString, Casing.CamelCase);
        // Stable names only: a record renamed or moved never changes what the log says happened.
        foreach (var (type, name) in options.Events.All) marten.Events.MapEventType(type, name);
        marten.Listeners.Add(new StableEventNames(options.Events));
        // No retries of reads inside Marten. Our sessions run in transactions of their own connection; when that connection
        // breaks (PostgreSQL killed or restarted) a retried read only meets the dead transaction, and its "Transaction is
        // already completed" hides the outage behind a bug (a 500 where the caller should be told 503 and Retry-After). The
        // failure reaches the caller as it happened: the API answers 503, a bus consumer is redelivered, the daemon restarts
        // its agent. Commits keep Marten's narrow write defaults.
        marten.ConfigurePolly(_ => { });
        foreach (var configure in options.ConfigureMarten) configure(marten);
        return marten;
    }
}
