using Patchwork.Core.Access;
using Patchwork.EventStore;

namespace Patchwork.Core.Clients;

/// <summary>
/// "Who is involved with client C, as V may see it": one round trip reads the client's row and the partnership's
/// version, then the access policy decides in memory at this instant. Every channel reads teams through here.
/// </summary>
public sealed class ClientTeamReader
{
    private readonly EventStore.EventStore _store;
    private readonly EventLog _log;
    private readonly TimeProvider _clock;
    private readonly PolicyOptions _policy;
    private readonly string _sql;
    private readonly string _historiesSql;
    private readonly string _partnershipSql;
    private readonly string _partnershipVersionSql;
    private readonly string _clientsOfSql;
    private volatile CachedPartnership _partnership = new(-1, Partnership.Empty);

    public ClientTeamReader(EventStore.EventStore store, EventStoreOptions options, TimeProvider clock, PolicyOptions policy)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _log = new EventLog(options);
        _clock = clock;
        _policy = policy;
        var schema = CoreSchema.Quote(options.Schema);
        _sql = $"SELECT t.events::text, coalesce((SELECT p.version FROM {schema}.partnership p WHERE p.id = 1), 0), coalesce(t.version, 0) " +
               $"FROM (SELECT 1) one LEFT JOIN {schema}.client_team t ON t.client_id = @client";
        // The partnership's version comes in a row of its own, so it arrives even when none of the clients has a row.
        _historiesSql = $"SELECT NULL::uuid, NULL::text, coalesce((SELECT p.version FROM {schema}.partnership p WHERE p.id = 1), 0) " +
                        $"UNION ALL SELECT t.client_id, t.events::text, 0 FROM {schema}.client_team t WHERE t.client_id = ANY(@clients)";
        _partnershipSql = $"SELECT events::text, version FROM {schema}.partnership WHERE id = 1";
        _partnershipVersionSql = $"SELECT version FROM {schema}.partnership WHERE id = 1";
        // Containment on the row's events: any involvement ever recorded for the practitioner; callers keep the active ones.
        _clientsOfSql = $"SELECT client_id FROM {schema}.client_team WHERE events @> jsonb_build_array(jsonb_build_object('name', @name::text, " +
                        "'data', jsonb_build_object('practitioner', jsonb_build_object('value', @practitioner::text)))) ORDER BY client_id";
    }

    /// <summary>The client's sharing state as the log has it now, or null when the client has no events.</summary>
    public async Task<(ClientSharing? Client, Partnership Partnership)> LoadAsync(ClientId client, CancellationToken cancellationToken)
    {
        var (stream, partnership) = await LoadForWritingAsync(client, cancellationToken);
        return (stream.Exists ? stream.State : null, partnership);
    }

    /// <summary>
    /// The client's state with its stream version, to decide a command against and append at that version, in the same
    /// one round trip: the row is written in each append's transaction from every event of the client's stream (all of
    /// them are <see cref="ClientTeamProjection"/>'s events), so its version is the stream's.
    /// </summary>
    public async Task<(StreamState<ClientSharing> Client, Partnership Partnership)> LoadForWritingAsync(ClientId client, CancellationToken cancellationToken)
    {
        string? events;
        long partnershipVersion, version;
        await using (var command = _store.DataSource.CreateCommand(_sql))
        {
            command.Parameters.AddWithValue("client", client.Value);
            await using var row = await command.ExecuteReaderAsync(cancellationToken);
            await row.ReadAsync(cancellationToken);
            events = row.IsDBNull(0) ? null : row.GetString(0);
            partnershipVersion = row.GetInt64(1);
            version = row.GetInt64(2);
        }
        var partnership = _partnership.Version == partnershipVersion ? _partnership.State : await ReloadPartnershipAsync(cancellationToken);
        var state = events is null ? ClientSharing.Empty(client) : ClientSharing.From(client, _log.Read(events));
        return (new StreamState<ClientSharing>(client.Value, state, version), partnership);
    }

    /// <summary>
    /// Every event of each client's stream in order (the event at index i has version i + 1) and the partnership, in one
    /// round trip whatever the number of clients: for relays, which replay a stream around each new event and whose pages
    /// name many clients. A client without events is absent from the dictionary.
    /// </summary>
    public async Task<(IReadOnlyDictionary<ClientId, IReadOnlyList<object>> Events, Partnership Partnership)> HistoriesAsync(
        IReadOnlyCollection<ClientId> clients, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clients);
        var found = new Dictionary<ClientId, IReadOnlyList<object>>();
        long partnershipVersion = 0;
        await using (var command = _store.DataSource.CreateCommand(_historiesSql))
        {
            command.Parameters.AddWithValue("clients", clients.Select(c => c.Value).ToArray());
            await using var rows = await command.ExecuteReaderAsync(cancellationToken);
            while (await rows.ReadAsync(cancellationToken))
            {
                if (rows.IsDBNull(0)) partnershipVersion = rows.GetInt64(2);
                else found[new ClientId(rows.GetGuid(0))] = [.. _log.Read(rows.GetString(1))];
            }
        }
        var partnership = _partnership.Version == partnershipVersion ? _partnership.State : await ReloadPartnershipAsync(cancellationToken);
        return (found, partnership);
    }

    /// <summary>The partnership as it is now, for readers that already hold the client's events (one small read when it is cached).</summary>
    public async Task<Partnership> PartnershipAsync(CancellationToken cancellationToken)
    {
        await using var command = _store.DataSource.CreateCommand(_partnershipVersionSql);
        var version = await command.ExecuteScalarAsync(cancellationToken) is long current ? current : 0;
        return _partnership.Version == version ? _partnership.State : await ReloadPartnershipAsync(cancellationToken);
    }

    /// <summary>The team as <paramref name="viewer"/> may see it now; null when there is no such client.</summary>
    public async Task<TeamView?> TeamAsync(ClientId client, Viewer viewer, CancellationToken cancellationToken)
    {
        var (sharing, partnership) = await LoadAsync(client, cancellationToken);
        return sharing is null ? null : AccessPolicy.TeamOf(sharing, partnership, viewer, _clock.GetUtcNow(), _policy);
    }

    /// <summary>
    /// The clients the practitioner has had an involvement with, ended ones included (callers read each client's state and
    /// keep what they need). A scan of <c>client_team</c>: fine for a practitioner's own caseload page, not for bulk use.
    /// </summary>
    public async Task<IReadOnlyList<ClientId>> ClientsOfAsync(PractitionerId practitioner, CancellationToken cancellationToken)
    {
        await using var command = _store.DataSource.CreateCommand(_clientsOfSql);
        command.Parameters.AddWithValue("name", EventNames.InvolvementRecorded);
        command.Parameters.AddWithValue("practitioner", practitioner.Value.ToString("D"));
        var clients = new List<ClientId>();
        await using var rows = await command.ExecuteReaderAsync(cancellationToken);
        while (await rows.ReadAsync(cancellationToken)) clients.Add(new ClientId(rows.GetGuid(0)));
        return clients;
    }

    private async Task<Partnership> ReloadPartnershipAsync(CancellationToken cancellationToken)
    {
        await using var command = _store.DataSource.CreateCommand(_partnershipSql);
        await using var row = await command.ExecuteReaderAsync(cancellationToken);
        var loaded = await row.ReadAsync(cancellationToken)
            ? new CachedPartnership(row.GetInt64(1), Partnership.From(_log.Read(row.GetString(0))))
            : new CachedPartnership(0, Partnership.Empty);
        _partnership = loaded;
        return loaded.State;
    }

    private sealed record CachedPartnership(long Version, Partnership State);
}
