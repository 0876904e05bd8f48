using JasperFx.Events;
using Marten.Exceptions;
using Npgsql;

namespace Patchwork.EventStore;

/// <summary>
/// What PostgreSQL or Marten raised, wherever Marten, Npgsql or a batch wrapped it: one walk of an exception's inner and
/// aggregated exceptions for every question asked of a failed save.
/// </summary>
public static class ExceptionChain
{
    /// <summary>The exception, then every exception it wraps, depth first.</summary>
    public static IEnumerable<Exception> Of(Exception e)
    {
        ArgumentNullException.ThrowIfNull(e);
        yield return e;
        var inner = e is AggregateException aggregate ? aggregate.InnerExceptions : e.InnerException is { } one ? [one] : [];
        foreach (var wrapped in inner)
        {
            foreach (var found in Of(wrapped)) yield return found;
        }
    }

    /// <summary>Whether a unique constraint refused a row, and that violation passes <paramref name="which"/>.</summary>
    public static bool IsUniqueViolation(Exception e, Func<PostgresException, bool> which) =>
        Of(e).OfType<PostgresException>().Any(p => p.SqlState == PostgresErrorCodes.UniqueViolation && which(p));

    /// <summary>
    /// Whether Marten refused a save for optimistic concurrency: a stream moved past the version expected, or a stream to be
    /// started exists. A unique violation on a table of the caller's own (an inbox row, say) is not one.
    /// </summary>
    public static bool IsConcurrencyRefusal(Exception e) =>
        Of(e).Any(x => x is EventStreamUnexpectedMaxEventIdException or Marten.Exceptions.ExistingStreamIdCollisionException
            or JasperFx.Events.ExistingStreamIdCollisionException)
        || IsUniqueViolation(e, p => p.TableName is null || p.TableName.StartsWith("mt_", StringComparison.Ordinal));
}
