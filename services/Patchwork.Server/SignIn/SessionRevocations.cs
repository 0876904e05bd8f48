using Npgsql;

namespace Patchwork.Server.SignIn;

/// <summary>
/// Tells every node at once that an account's sessions have ended (disabled, or signed out everywhere), over PostgreSQL
/// LISTEN/NOTIFY on a channel of the schema's own, so each node's <see cref="SessionGate"/> drops what it cached about the
/// account and the very next request re-reads it. While a node cannot listen (a dropped connection) it caches nothing
/// it could have missed a revocation for: it empties its cache on every loss and every reconnect.
/// </summary>
public sealed class SessionRevocations(NpgsqlDataSource database, SignInSchema schema, SessionGate sessions, ILogger<SessionRevocations> log)
    : BackgroundService
{
    private string Channel => "patchwork_sessions_" + schema.Name;

    /// <summary>Raised on every node for every account whose sessions ended (the live feed closes its connections).</summary>
    public event Action<Guid>? Revoked;

    /// <summary>Called after the account's change has committed; this node's own cache is evicted by the caller.</summary>
    public async Task AnnounceAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("SELECT pg_notify($1, $2)");
        command.Parameters.Add(new NpgsqlParameter { Value = Channel });
        command.Parameters.Add(new NpgsqlParameter { Value = userId.ToString() });
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
                    if (!Guid.TryParse(notice.Payload, out var userId)) return;
                    sessions.Forget(userId);
                    Revoked?.Invoke(userId);
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
