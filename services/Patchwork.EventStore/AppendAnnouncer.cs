using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Patchwork.EventStore;

/// <summary>
/// Wakes subscription runners after appends commit. NOTIFY inside the append would take PostgreSQL's
/// cluster-wide notify lock through the commit's WAL flush and serialise every writer's commit, so the
/// store notifies just after commit instead, coalescing a burst of appends into one notification. A
/// notification lost to a crash costs only latency: runners also poll.
/// </summary>
internal sealed class AppendAnnouncer : IAsyncDisposable
{
    private readonly Channel<bool> _rings = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stopping = new();
    private readonly NpgsqlDataSource _dataSource;
    private readonly StoreSql _sql;
    private readonly ILogger _log;
    private readonly Task _announcing;

    public AppendAnnouncer(NpgsqlDataSource dataSource, StoreSql sql, ILogger log)
    {
        _dataSource = dataSource;
        _sql = sql;
        _log = log;
        _announcing = Task.Run(AnnounceAsync);
    }

    public void Ring() => _rings.Writer.TryWrite(true);

    private async Task AnnounceAsync()
    {
        try
        {
            await foreach (var _ in _rings.Reader.ReadAllAsync(_stopping.Token))
            {
                try
                {
                    await using var command = _dataSource.CreateCommand(_sql.AnnounceAppend);
                    command.Parameters.Add(new NpgsqlParameter { Value = _sql.Channel, NpgsqlDbType = NpgsqlDbType.Text });
                    await command.ExecuteNonQueryAsync(_stopping.Token);
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException)
                {
                    _log.LogWarning(e, "Could not announce appended events on {Channel}; subscriptions will find them when they poll", _sql.Channel);
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Disposed while waiting: nothing left to announce.
        }
    }

    public async ValueTask DisposeAsync()
    {
        _rings.Writer.TryComplete();
        await _stopping.CancelAsync();
        await _announcing;
        _stopping.Dispose();
    }
}
