using System.Collections.Immutable;
using Microsoft.Extensions.Caching.Memory;
using Patchwork.Core.Access;
using Patchwork.EventStore;

namespace Patchwork.Core.Clients;

/// <summary>
/// "Who is involved with client C, as V may see it": one round trip reads the client's row and the partnership's
/// version, then the access policy decides in memory at this instant. Every channel reads teams through here.
/// </summary>
/// <remarks>
/// A client's stream only grows, and its row holds event <c>v</c> at index <c>v - 1</c>, so a client decoded at version
/// <c>v</c> stays true of the first <c>v</c> events for good. The reader keeps recently written clients decoded by version
/// and asks the row only for the events after the version it holds: a write or a relay page then decodes what is new, not
/// the client's whole history. The row still answers for the version every time; a row behind what is held (a read
/// model being rebuilt) is read whole and trusted over what is held.
/// </remarks>
public sealed class ClientTeamReader
{
    /// <summary>How many events the reader keeps decoded, over all clients (an entry weighs its event count plus one).</summary>
    public const long DecodedEventsKept = 250_000;

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
    private readonly MemoryCache _decoded = new(new MemoryCacheOptions { SizeLimit = DecodedEventsKept });

    public ClientTeamReader(EventStore.EventStore store, EventStoreOptions options, TimeProvider clock, PolicyOptions policy)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _log = new EventLog(options);
        _clock = clock;
        _policy = policy;
        var schema = CoreSchema.Quote(options.Schema);
        // From the row, the events after the version the caller holds ("from"): all of them when it holds none, or when the
        // row is behind it. The partnership's version rides along in the same round trip.
        const string tail = "CASE WHEN f.start = 0 THEN t.events ELSE jsonb_path_query_array(t.events, '$[$from to last]', jsonb_build_object('from', f.start)) END::text";
        _sql = $"SELECT {tail}, coalesce((SELECT p.version FROM {schema}.partnership p WHERE p.id = 1), 0), coalesce(t.version, 0), f.start " +
               $"FROM (SELECT 1) one LEFT JOIN {schema}.client_team t ON t.client_id = @client " +
               "CROSS JOIN LATERAL (SELECT CASE WHEN t.version >= @known THEN @known ELSE 0 END AS start) f";
        // The partnership's version comes in a row of its own, so it arrives even when none of the clients has a row.
        _historiesSql = $"SELECT NULL::uuid, NULL::text, coalesce((SELECT p.version FROM {schema}.partnership p WHERE p.id = 1), 0), 0::bigint " +
                        $"UNION ALL SELECT t.client_id, {tail}, t.version, f.start FROM unnest(@clients, @known) k(client_id, known) " +
                        $"JOIN {schema}.client_team t ON t.client_id = k.client_id " +
                        "CROSS JOIN LATERAL (SELECT CASE WHEN t.version >= k.known THEN k.known ELSE 0 END AS start) f";
        _partnershipSql = $"SELECT events::text, version FROM {schema}.partnership WHERE id = 1";
        _partnershipVersionSql = $"SELECT version FROM {schema}.partnership WHERE id = 1";
        // Containment on the row's events: any involvement ever recorded for the practitioner; callers keep the active ones.
        _clientsOfSql = $"SELECT client_id FROM {schema}.client_team WHERE events @> jsonb_build_array(jsonb_build_object('name', @name::text, " +
                        "'data', jsonb_build_object('practitioner', jsonb_build_object('value', @practitioner::text)))) ORDER BY client_id";
    }

    /// <summary>The client's sharing state as the log has it now, or null when the client has no events.</summary>
    public async Task<(ClientSharing? Client, Partnership Partnership)> LoadAsync(ClientId client, CancellationToken cancellationToken)
    {
        // A read keeps nothing new: reads range over every client (search, pages), writes come back to the same ones.
        var (stream, partnership) = await LoadCoreAsync(client, keep: false, cancellationToken);
        return (stream.Exists ? stream.State : null, partnership);
    }

    /// <summary>
    /// The client's state with its stream version, to decide a command against and append at that version, in the same
    /// one round trip: the row is written in each append's transaction from every event of the client's stream (all of
    /// them are <see cref="ClientTeamProjection"/>'s events), so its version is the stream's.
    /// </summary>
    public Task<(StreamState<ClientSharing> Client, Partnership Partnership)> LoadForWritingAsync(ClientId client, CancellationToken cancellationToken) =>
        LoadCoreAsync(client, keep: true, cancellationToken);

    private async Task<(StreamState<ClientSharing> Client, Partnership Partnership)> LoadCoreAsync(ClientId client, bool keep, CancellationToken cancellationToken)
    {
        var held = Held(client);
        string? events;
        long partnershipVersion, version, from;
        await using (var command = _store.DataSource.CreateCommand(_sql))
        {
            command.Parameters.AddWithValue("client", client.Value);
            command.Parameters.AddWithValue("known", held?.Version ?? 0L);
            await using var row = await command.ExecuteReaderAsync(cancellationToken);
            await row.ReadAsync(cancellationToken);
            events = row.IsDBNull(0) ? null : row.GetString(0);
            partnershipVersion = row.GetInt64(1);
            version = row.GetInt64(2);
            from = row.GetInt64(3);
        }
        var partnership = _partnership.Version == partnershipVersion ? _partnership.State : await ReloadPartnershipAsync(cancellationToken);
        var state = events is null ? ClientSharing.Empty(client) : Decode(client, held, from, version, events, keep).State;
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
        var held = clients.Distinct().ToDictionary(client => client, Held);
        long partnershipVersion = 0;
        await using (var command = _store.DataSource.CreateCommand(_historiesSql))
        {
            command.Parameters.AddWithValue("clients", held.Keys.Select(c => c.Value).ToArray());
            command.Parameters.AddWithValue("known", held.Values.Select(h => h?.Version ?? 0L).ToArray());
            await using var rows = await command.ExecuteReaderAsync(cancellationToken);
            while (await rows.ReadAsync(cancellationToken))
            {
                if (rows.IsDBNull(0))
                {
                    partnershipVersion = rows.GetInt64(2);
                    continue;
                }
                var client = new ClientId(rows.GetGuid(0));
                found[client] = Decode(client, held[client], rows.GetInt64(3), rows.GetInt64(2), rows.GetString(1), keep: true).Events;
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
    /// keep what they need). A containment query that the <c>client_team_events</c> GIN index answers.
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

    private DecodedClient? Held(ClientId client) => _decoded.TryGetValue(client.Value, out DecodedClient? held) ? held : null;

    /// <summary>
    /// The client at <paramref name="version"/>: what was held, extended by the events the row gave after it; or, when the
    /// row gave every event (<paramref name="from"/> is 0), those alone. It is kept when <paramref name="keep"/> is set or
    /// it replaces an older version already kept.
    /// </summary>
    private DecodedClient Decode(ClientId client, DecodedClient? held, long from, long version, string events, bool keep)
    {
        var start = from > 0 && held is not null && held.Version == from ? held : DecodedClient.None(client);
        if (from != start.Version)
            throw new InvalidOperationException($"The client_team row of {client.Value} was read from version {from}, which this reader does not hold.");
        var added = _log.Read(events);
        if (added.Count == 0 && start.Version == version) return start;
        var decoded = new DecodedClient(version, start.Events.AddRange(added), added.Aggregate(start.State, ClientSharing.Evolve));
        if (held is null ? keep : held.Version < version)
            _decoded.Set(client.Value, decoded, new MemoryCacheEntryOptions { Size = decoded.Events.Length + 1 });
        return decoded;
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

    /// <summary>A client's first <see cref="Version"/> events, decoded (those this process knows), and the state they make.</summary>
    private sealed record DecodedClient(long Version, ImmutableArray<object> Events, ClientSharing State)
    {
        public static DecodedClient None(ClientId client) => new(0, [], ClientSharing.Empty(client));
    }
}
