using System.Net.Sockets;
using Microsoft.AspNetCore.Diagnostics;
using Npgsql;

namespace Patchwork.Server.Hosting;

/// <summary>
/// The one place the host maps an exception to an answer. PostgreSQL unreachable — stopped, restarting, killed mid-query,
/// still recovering, out of connections — is an outage the caller should wait out, not a fault in the request or in
/// us: 503 with <c>Retry-After</c>, as a problem document, whatever door it came through (API, pages, token endpoint).
/// The request may or may not have been carried out (a commit can be lost in flight with its answer); a write retried
/// with the ids it first named finds out which (an involvement already recorded is a 409). Anything else stays a 500 with
/// no detail: a bug is never dressed up as an outage.
/// </summary>
internal sealed partial class DatabaseUnavailable(ILogger<DatabaseUnavailable> log) : IExceptionHandler
{
    /// <summary>Seconds a caller should wait: a killed PostgreSQL here restarts, recovers and is back within a few (as readiness says).</summary>
    public const string RetryAfterSeconds = "5";

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        if (Outage(exception) is not { } outage) return false;
        // The type and message of the connection failure only: no SQL, no parameters, nothing about the request's subject.
        Unavailable(log, httpContext.Request.Method, httpContext.GetEndpoint()?.DisplayName ?? httpContext.Request.Path.Value ?? "", outage.GetType().Name, outage.Message);
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = RetryAfterSeconds;
        await Results.Problem("the database is unavailable for a moment; try again after the time in Retry-After",
            statusCode: StatusCodes.Status503ServiceUnavailable, title: "Unavailable").ExecuteAsync(httpContext);
        return true;
    }

    /// <summary>
    /// The exception, or one it wraps (Marten and EF Core wrap Npgsql's), that says PostgreSQL could not be reached or went
    /// away: a connection that failed or broke (I/O, socket, timeout — Npgsql's own transient verdict), or the server
    /// refusing or ending sessions while it starts, shuts down or recovers from a crash (SQLSTATE classes 08 and 57P).
    /// </summary>
    internal static Exception? Outage(Exception? exception) => exception switch
    {
        null => null,
        PostgresException postgres => postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
            || postgres.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow
            || postgres.SqlState is PostgresErrorCodes.TooManyConnections
                ? postgres : null,
        NpgsqlException { IsTransient: true } npgsql => npgsql,
        SocketException socket => socket,
        AggregateException aggregate => aggregate.InnerExceptions.Select(Outage).FirstOrDefault(found => found is not null),
        _ => Outage(exception.InnerException),
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Answered 503 to {Method} {Endpoint}: the database is unavailable ({Failure}: {Detail})")]
    private static partial void Unavailable(ILogger logger, string method, string endpoint, string failure, string detail);
}
