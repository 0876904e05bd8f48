using Npgsql;

namespace Patchwork.EventStore;

/// <summary>
/// A read model kept in step with the log: it runs inside the append's transaction, after the events are
/// written, so whoever reads it sees exactly what was committed.
/// </summary>
public interface IInlineProjection
{
    /// <summary>Names the projection when it is rebuilt.</summary>
    string Name { get; }

    /// <summary>The event names it is given; other events never reach it.</summary>
    IReadOnlySet<string> EventNames { get; }

    Task ApplyAsync(ProjectionContext context, IReadOnlyList<RecordedEvent> events, CancellationToken cancellationToken);

    /// <summary>
    /// Empties the read model before a rebuild replays the log through it. Take the read model's table lock
    /// here (TRUNCATE, or LOCK TABLE ... IN EXCLUSIVE MODE) so appends wait for the rebuild to finish.
    /// </summary>
    Task ResetAsync(ProjectionContext context, CancellationToken cancellationToken);
}

/// <summary>The append's (or the rebuild's) connection and transaction.</summary>
public sealed record ProjectionContext(NpgsqlConnection Connection, NpgsqlTransaction Transaction);
