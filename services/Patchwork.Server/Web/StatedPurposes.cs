using Npgsql;
using Patchwork.Core;
using Patchwork.Core.Clients;
using Patchwork.EventStore;

namespace Patchwork.Server.Web;

/// <summary>
/// The purpose a practitioner stated for reading one client (from the search that led to them, or asked for on the client
/// page), kept in PostgreSQL for <see cref="Kept"/> so every node's pages, the client's task pages and the live re-read
/// carry it. The only code that knows the table's SQL.
/// </summary>
public sealed class StatedPurposes
{
    /// <summary>How long a stated purpose is kept: a working session with the client, not a standing reason.</summary>
    public static readonly TimeSpan Kept = TimeSpan.FromHours(4);

    private readonly NpgsqlDataSource _database;
    private readonly TimeProvider _clock;
    private readonly string _table;

    public StatedPurposes(NpgsqlDataSource database, EventStoreOptions options, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(options);
        _database = database;
        _clock = clock;
        _table = CoreSchema.Quote(options.Schema) + ".stated_purposes";
    }

    /// <summary>The purpose the practitioner stated for this client, while it is kept; null when there is none.</summary>
    public async Task<string?> OfAsync(PractitionerId practitioner, ClientId client, CancellationToken cancellationToken)
    {
        await using var command = _database.CreateCommand(
            $"SELECT purpose FROM {_table} WHERE practitioner_id = @practitioner AND client_id = @client AND expires_at > @now");
        command.Parameters.AddWithValue("practitioner", practitioner.Value);
        command.Parameters.AddWithValue("client", client.Value);
        command.Parameters.AddWithValue("now", _clock.GetUtcNow().UtcDateTime);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    /// <summary>Keeps the purpose for these clients (replacing one kept before), and forgets the practitioner's expired ones.</summary>
    public async Task KeepAsync(PractitionerId practitioner, IReadOnlyCollection<ClientId> clients, string purpose, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clients);
        var now = _clock.GetUtcNow().UtcDateTime;
        await using var batch = _database.CreateBatch();
        var forget = new NpgsqlBatchCommand($"DELETE FROM {_table} WHERE practitioner_id = @practitioner AND expires_at <= @now");
        forget.Parameters.AddWithValue("practitioner", practitioner.Value);
        forget.Parameters.AddWithValue("now", now);
        batch.BatchCommands.Add(forget);
        if (clients.Count > 0)
        {
            var keep = new NpgsqlBatchCommand(
                $"INSERT INTO {_table} (practitioner_id, client_id, purpose, expires_at) SELECT @practitioner, c, @purpose, @expires FROM unnest(@clients) AS c " +
                "ON CONFLICT (practitioner_id, client_id) DO UPDATE SET purpose = excluded.purpose, expires_at = excluded.expires_at");
            keep.Parameters.AddWithValue("practitioner", practitioner.Value);
            keep.Parameters.AddWithValue("clients", clients.Select(c => c.Value).Distinct().ToArray());
            keep.Parameters.AddWithValue("purpose", purpose);
            keep.Parameters.AddWithValue("expires", now + Kept);
            batch.BatchCommands.Add(keep);
        }
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }
}
