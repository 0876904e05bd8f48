using Npgsql;

namespace Patchwork.Server.SignIn;

/// <summary>
/// Tells every node at once that an account's sessions have ended (disabled, or signed out everywhere) or that one of
/// them has (signed out), over PostgreSQL
/// LISTEN/NOTIFY on a channel of the schema's own, so each node's <see cref="SessionGate"/> drops what it cached about the
/// account and the very next request re-reads it. While a node cannot listen (a dropped connection) it caches nothing
/// it could have missed a revocation for: it empties its cache on every loss and every reconnect.
/// </summary>
public sealed class SessionRevocations(NpgsqlDataSource database, SignInSchema schema, SessionGate sessions, ILogger<SessionRevocations> log)
    : BackgroundService
{
    private string Channel => "patchwork_sessions_" + schema.Name;

    /// <summary>
    /// Raised on every node for every account whose sessions ended: all of them (no session id), or the one named. The
    /// live feed closes the connections opened with them.
    /// </summary>
    public event Action<Guid, Guid?>? Revoked;

    /// <summary>Called after the account's change has committed; this node's own cache is evicted by the caller.</summary>
    public async Task AnnounceAsync(Guid userId, CancellationToken cancellationToken, Guid? session = null)
    {
        await using var command = database.CreateCommand("SELECT pg_notify($1, $2)");
        command.Parameters.Add(new NpgsqlParameter { Value = Channel });
        command.Parameters.Add(new NpgsqlParameter { Value = session is { } one ? $"{userId}/{one}" : userId.ToString() });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.FromMilliseconds(200);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await database.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, notice) =>
                {
                    var parts = notice.Payload.Split('/');
                    if (!Guid.TryParse(parts[0], out var userId)) return;
                    Guid? session = parts.Length > 1 && Guid.TryParse(parts[1], out var one) ? one : null;
                    sessions.Forget(userId);
                    Revoked?.Invoke(userId, session);
                };
                await using (var listen = new NpgsqlCommand($"LISTEN \"{Channel}\"", connection))
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                // Anything cached before this LISTEN might predate a revocation we did not hear.
                sessions.ForgetAll();
                backoff = TimeSpan.FromMilliseconds(200);
                while (!stoppingToken.IsCancellationRequested) await connection.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception failure) when (failure is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                sessions.ForgetAll();
                log.LogWarning("Listening for ended sessions failed ({Reason}); session checks read the database until it is back", failure.Message);
                await Task.Delay(backoff, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }
    }
}
