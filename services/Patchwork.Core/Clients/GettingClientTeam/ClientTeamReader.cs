using Patchwork.Core.Access;
using Patchwork.EventStore;

namespace Patchwork.Core.Clients;

/// <summary>
/// "Who is involved with client C, as V may see it": one round trip reads the client's state (the inline projection's
/// row) and the partnership's version (its document's count of events folded); then the access policy decides in memory at
/// this instant. Every channel reads teams through here; commands fetch the client's stream for writing through here too.
/// </summary>
public sealed class ClientTeamReader
{
    private readonly EventStore.EventStore _store;
    private readonly EventTypes _types;
    private readonly Marten.ISerializer _serializer;
    private readonly TimeProvider _clock;
    private readonly PolicyOptions _policy;
    private readonly string _sql;
    private readonly string _historiesSql;
    private readonly string _partnershipSql;
    private readonly string _partnershipVersionSql;
    private readonly string _clientsOfSql;
    private readonly string _breakGlassOfSql;
    private volatile CachedPartnership _partnership = new(-1, Partnership.Empty);

    public ClientTeamReader(EventStore.EventStore store, EventStoreOptions options, TimeProvider clock, PolicyOptions policy)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _types = options.Events;
        _serializer = store.Marten.Options.Serializer();
        _clock = clock;
        _policy = policy;
        var schema = CoreSchema.Quote(options.Schema);
        const string partnershipVersion = "coalesce((SELECT (p.data->>'eventsFolded')::bigint FROM {0}.mt_doc_partnership_state p WHERE p.id = '{1}'), 0)";
        _sql = $"SELECT d.data, {string.Format(System.Globalization.CultureInfo.InvariantCulture, partnershipVersion, schema, PartnershipState.TheId)} " +
               $"FROM (SELECT 1) one LEFT JOIN {schema}.mt_doc_client_state d ON d.id = @client";
        // The partnership's version comes in a row of its own, so it arrives even when none of the clients has events.
        _historiesSql = $"SELECT NULL::uuid AS stream_id, NULL::varchar AS type, NULL::jsonb AS data, {string.Format(System.Globalization.CultureInfo.InvariantCulture, partnershipVersion, schema, PartnershipState.TheId)} AS version " +
                        $"UNION ALL SELECT e.stream_id, e.type, e.data, e.version FROM {schema}.mt_events e WHERE e.stream_id = ANY(@clients) " +
                        "ORDER BY stream_id NULLS FIRST, version";
        _partnershipSql = $"SELECT data FROM {schema}.mt_doc_partnership_state WHERE id = '{PartnershipState.TheId}'";
        _partnershipVersionSql = $"SELECT (data->>'eventsFolded')::bigint FROM {schema}.mt_doc_partnership_state WHERE id = '{PartnershipState.TheId}'";
        // Containment on the state's practitioners, which the document's GIN index answers; callers keep the active ones.
        _clientsOfSql = $"SELECT id FROM {schema}.mt_doc_client_state WHERE data @> jsonb_build_object('practitioners', jsonb_build_array(@practitioner::text)) ORDER BY id";
        _breakGlassOfSql = $"SELECT data FROM {schema}.mt_doc_client_state WHERE data @> jsonb_build_object('sharing', jsonb_build_object('grants', " +
                           "jsonb_build_array(jsonb_build_object('organisation', jsonb_build_object('value', @organisation::text))))) ORDER BY id";
    }

    /// <summary>The client's sharing state as the log has it now, or null when the client has no events.</summary>
    public async Task<(ClientSharing? Client, Partnership Partnership)> LoadAsync(ClientId client, CancellationToken cancellationToken)
    {
        var (state, partnership) = await ReadAsync(client, cancellationToken);
        return (state?.Sharing, partnership);
    }

    /// <summary>
    /// The client's stream fetched for writing in <paramref name="session"/> (Marten's <c>FetchForWriting</c>: the inline
    /// state and the version the save will insist on) and the partnership, in one round trip: the partnership's count of
    /// events folded travels in the same batch, and the partnership itself is read again only when that count moved.
    /// </summary>
    public async Task<(JasperFx.Events.IEventStream<ClientState> Client, Partnership Partnership)> FetchForWritingAsync(Marten.IDocumentSession session,
        ClientId client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var batch = session.CreateBatchQuery();
        var stream = batch.Events.FetchForWriting<ClientState>(client.Value);
        var partnershipVersion = batch.Query<PartnershipState>().Where(p => p.Id == PartnershipState.TheId).Select(p => p.EventsFolded).SingleOrDefault();
        await batch.Execute(cancellationToken);
        var version = await partnershipVersion;
        var partnership = _partnership.Version == version ? _partnership.State : await ReloadPartnershipAsync(cancellationToken);
        return (await stream, partnership);
    }

    private async Task<(ClientState? State, Partnership Partnership)> ReadAsync(ClientId client, CancellationToken cancellationToken)
    {
        ClientState? state;
        long partnershipVersion;
        await using (var command = _store.DataSource.CreateCommand(_sql))
        {
            command.Parameters.AddWithValue("client", client.Value);
            await using var row = await command.ExecuteReaderAsync(cancellationToken);
            await row.ReadAsync(cancellationToken);
            state = row.IsDBNull(0) ? null : _serializer.FromJson<ClientState>(row, 0);
            partnershipVersion = row.GetInt64(1);
        }
        var partnership = _partnership.Version == partnershipVersion ? _partnership.State : await ReloadPartnershipAsync(cancellationToken);
        return (state, partnership);
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
        var found = new Dictionary<ClientId, List<object>>();
        long partnershipVersion = 0;
        await using (var command = _store.DataSource.CreateCommand(_historiesSql))
        {
            command.Parameters.AddWithValue("clients", clients.Select(c => c.Value).Distinct().ToArray());
            await using var rows = await command.ExecuteReaderAsync(cancellationToken);
            while (await rows.ReadAsync(cancellationToken))
            {
                if (rows.IsDBNull(0))
                {
                    partnershipVersion = rows.GetInt64(3);
                    continue;
                }
                var client = new ClientId(rows.GetGuid(0));
                if (!found.TryGetValue(client, out var events)) found[client] = events = [];
                // Names this process does not know (a newer node's events) are left out, as the state's fold leaves them.
                if (_types.TypeOf(rows.GetString(1)) is { } type) events.Add(_serializer.FromJson(type, rows, 2));
            }
        }
        var partnership = _partnership.Version == partnershipVersion ? _partnership.State : await ReloadPartnershipAsync(cancellationToken);
        return (found.ToDictionary(pair => pair.Key, pair => (IReadOnlyList<object>)pair.Value), partnership);
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
    /// keep what they need). A containment query that the state's GIN index answers.
    /// </summary>
    public async Task<IReadOnlyList<ClientId>> ClientsOfAsync(PractitionerId practitioner, CancellationToken cancellationToken)
    {
        await using var command = _store.DataSource.CreateCommand(_clientsOfSql);
        command.Parameters.AddWithValue("practitioner", practitioner.Value.ToString("D"));
        var clients = new List<ClientId>();
        await using var rows = await command.ExecuteReaderAsync(cancellationToken);
        while (await rows.ReadAsync(cancellationToken)) clients.Add(new ClientId(rows.GetGuid(0)));
        return clients;
    }

    /// <summary>
    /// The states of the clients on whom a practitioner of the organisation has broken glass (for its DPO's review queue):
    /// a containment query that the state's GIN index answers. Callers keep the grants they need.
    /// </summary>
    public async Task<IReadOnlyList<ClientSharing>> BrokenGlassByAsync(OrganisationId organisation, CancellationToken cancellationToken)
    {
        await using var command = _store.DataSource.CreateCommand(_breakGlassOfSql);
        command.Parameters.AddWithValue("organisation", organisation.Value.ToString("D"));
        var clients = new List<ClientSharing>();
        await using var rows = await command.ExecuteReaderAsync(cancellationToken);
        while (await rows.ReadAsync(cancellationToken)) clients.Add(_serializer.FromJson<ClientState>(rows, 0).Sharing);
        return clients;
    }

    private async Task<Partnership> ReloadPartnershipAsync(CancellationToken cancellationToken)
    {
        await using var command = _store.DataSource.CreateCommand(_partnershipSql);
        await using var row = await command.ExecuteReaderAsync(cancellationToken);
        var state = await row.ReadAsync(cancellationToken) ? _serializer.FromJson<PartnershipState>(row, 0) : null;
        var loaded = state is null ? new CachedPartnership(0, Partnership.Empty) : new CachedPartnership(state.EventsFolded, state.Partnership);
        _partnership = loaded;
        return loaded.State;
    }

    private sealed record CachedPartnership(long Version, Partnership State);
}
