using Npgsql;
using NpgsqlTypes;
using Patchwork.Core;
using Patchwork.Core.Clients;
using Patchwork.EventStore;

namespace Patchwork.Server.Api.Audit;

public enum AuditChannel
{
    Api,
    Bus,
    Hub,
    Web,
    Fhir,
}

public enum AuditOutcome
{
    Allowed,
    Denied,
}

/// <summary>
/// One access to client data: who, acting for which organisation, did what to which client, when, through which
/// channel, for what stated purpose, with what outcome and the policy's rule or reason.
/// </summary>
public sealed record AuditEntry(
    Guid Id,
    DateTimeOffset At,
    ActingPrincipal Actor,
    OrganisationId Organisation,
    string Action,
    ClientId? Client,
    AuditChannel Channel,
    string? Purpose,
    AuditOutcome Outcome,
    string? Rule,
    Guid? CorrelationId)
{
    /// <summary>
    /// The organisations whose records this access disclosed to another (a subject access export holding their
    /// involvements): their data protection officers see the entry among their own (DESIGN.md §3, rule 10).
    /// </summary>
    public IReadOnlyList<OrganisationId> DisclosedOrganisations { get; init; } = [];
}

/// <summary>The append-only audit trail; the only code that knows the audit table's SQL.</summary>
public sealed class AuditTrail
{
    private const string Columns =
        "id, at, practitioner_id, partner_system_id, organisation_id, action, client_id, channel, purpose, outcome, rule, correlation_id, disclosed_organisations";
    private readonly NpgsqlDataSource _database;
    private readonly string _table;

    public AuditTrail(NpgsqlDataSource database, EventStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _database = database;
        _table = CoreSchema.Quote(options.Schema) + ".audit_entries";
    }

    public async Task RecordAsync(AuditEntry entry, CancellationToken cancellationToken)
    {
        await using var command = _database.CreateCommand();
        await InsertAsync(command, entry, cancellationToken);
    }

    /// <summary>Records the entry inside the caller's transaction: a change and its audit entry commit together or not at all.</summary>
    public async Task RecordAsync(AuditEntry entry, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(null, connection, transaction);
        await InsertAsync(command, entry, cancellationToken);
    }

    /// <summary>The entry's insert, for a batch that runs in the transaction of the change it records.</summary>
    public NpgsqlBatchCommand Statement(AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var statement = new NpgsqlBatchCommand(Insert);
        AddValues(statement.Parameters, entry);
        return statement;
    }

    private string Insert =>
        $"INSERT INTO {_table} ({Columns}) VALUES (@id, @at, @practitioner, @partner, @organisation, @action, @client, @channel, @purpose, @outcome, @rule, @correlation, @disclosed)";

    private async Task InsertAsync(NpgsqlCommand command, AuditEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        command.CommandText = Insert;
        AddValues(command.Parameters, entry);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static void AddValues(NpgsqlParameterCollection parameters, AuditEntry entry)
    {
        parameters.AddWithValue("id", entry.Id);
        parameters.AddWithValue("at", entry.At.UtcDateTime);
        parameters.Add(Uuid("practitioner", entry.Actor.Kind == PrincipalKind.Practitioner ? entry.Actor.Id : null));
        parameters.Add(Uuid("partner", entry.Actor.Kind == PrincipalKind.PartnerSystem ? entry.Actor.Id : null));
        parameters.AddWithValue("organisation", entry.Organisation.Value);
        parameters.AddWithValue("action", entry.Action);
        parameters.Add(Uuid("client", entry.Client?.Value));
        parameters.AddWithValue("channel", entry.Channel.ToString().ToLowerInvariant());
        parameters.Add(new NpgsqlParameter("purpose", NpgsqlDbType.Text) { Value = (object?)entry.Purpose ?? DBNull.Value });
        parameters.AddWithValue("outcome", entry.Outcome.ToString().ToLowerInvariant());
        parameters.Add(new NpgsqlParameter("rule", NpgsqlDbType.Text) { Value = (object?)entry.Rule ?? DBNull.Value });
        parameters.Add(Uuid("correlation", entry.CorrelationId));
        parameters.Add(new NpgsqlParameter("disclosed", NpgsqlDbType.Array | NpgsqlDbType.Uuid)
        {
            Value = entry.DisclosedOrganisations.Count == 0 ? DBNull.Value : entry.DisclosedOrganisations.Select(o => o.Value).ToArray(),
        });
    }

    /// <summary>
    /// One page of a client's entries, newest first, after the entry <paramref name="before"/>; when
    /// <paramref name="organisation"/> is given, only its own entries and those that disclosed its records.
    /// </summary>
    public async Task<IReadOnlyList<AuditEntry>> PageAsync(ClientId client, OrganisationId? organisation, Guid? before, int count, CancellationToken cancellationToken)
    {
        await using var command = _database.CreateCommand(
            $"SELECT {Columns} FROM {_table} WHERE client_id = @client AND {OrganisationFilter} " +
            "AND (@before IS NULL OR id < @before) ORDER BY id DESC LIMIT @count");
        command.Parameters.AddWithValue("client", client.Value);
        command.Parameters.Add(Uuid("organisation", organisation?.Value));
        command.Parameters.Add(Uuid("before", before));
        command.Parameters.AddWithValue("count", count);
        return await ReadAsync(command, cancellationToken);
    }

    /// <summary>Whether an erasure of the client's personal data was carried out (its allowed entry is the record of it).</summary>
    public async Task<bool> WasErasedAsync(ClientId client, CancellationToken cancellationToken)
    {
        await using var command = _database.CreateCommand(
            $"SELECT EXISTS (SELECT 1 FROM {_table} WHERE client_id = @client AND action = 'client.erase' AND outcome = 'allowed')");
        command.Parameters.AddWithValue("client", client.Value);
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }

    /// <summary>The first erasure of the client's personal data that was carried out, or null: its allowed entry is the record of it.</summary>
    public async Task<AuditEntry?> ErasureAsync(ClientId client, CancellationToken cancellationToken)
    {
        await using var command = _database.CreateCommand(
            $"SELECT {Columns} FROM {_table} WHERE client_id = @client AND action = 'client.erase' AND outcome = 'allowed' ORDER BY id LIMIT 1");
        command.Parameters.AddWithValue("client", client.Value);
        command.Parameters.Add(Uuid("organisation", null));
        return (await ReadAsync(command, cancellationToken)).SingleOrDefault();
    }

    /// <summary>One page of a client's entries, oldest first, after the entry <paramref name="after"/>: the subject access export's order.</summary>
    /// <remarks>Entries after <paramref name="until"/> are left out, so paging a log that grows as it is read still ends.</remarks>
    public async Task<IReadOnlyList<AuditEntry>> PageForwardAsync(ClientId client, OrganisationId? organisation, Guid? after, Guid until, int count,
        CancellationToken cancellationToken)
    {
        await using var command = _database.CreateCommand(
            $"SELECT {Columns} FROM {_table} WHERE client_id = @client AND {OrganisationFilter} AND (@after IS NULL OR id > @after) AND id <= @until ORDER BY id LIMIT @count");
        command.Parameters.AddWithValue("client", client.Value);
        command.Parameters.Add(Uuid("organisation", organisation?.Value));
        command.Parameters.Add(Uuid("after", after));
        command.Parameters.Add(Uuid("until", until));
        command.Parameters.AddWithValue("count", count);
        return await ReadAsync(command, cancellationToken);
    }

    /// <summary>The newest entry's id about the client, or the empty id.</summary>
    public async Task<Guid> LatestAsync(ClientId client, CancellationToken cancellationToken)
    {
        await using var command = _database.CreateCommand($"SELECT id FROM {_table} WHERE client_id = @client ORDER BY id DESC LIMIT 1");
        command.Parameters.AddWithValue("client", client.Value);
        return await command.ExecuteScalarAsync(cancellationToken) is Guid id ? id : Guid.Empty;
    }

    /// <summary>Every entry about the client, oldest first.</summary>
    public Task<IReadOnlyList<AuditEntry>> AllAsync(ClientId client, CancellationToken cancellationToken) => AllAsync(client, null, cancellationToken);

    /// <summary>Every entry about the client, oldest first, for subject access; only <paramref name="organisation"/>'s as in <see cref="PageAsync"/> when given.</summary>
    public async Task<IReadOnlyList<AuditEntry>> AllAsync(ClientId client, OrganisationId? organisation, CancellationToken cancellationToken)
    {
        await using var command = _database.CreateCommand($"SELECT {Columns} FROM {_table} WHERE client_id = @client AND {OrganisationFilter} ORDER BY id");
        command.Parameters.AddWithValue("client", client.Value);
        command.Parameters.Add(Uuid("organisation", organisation?.Value));
        return await ReadAsync(command, cancellationToken);
    }

    private const string OrganisationFilter =
        "(@organisation::uuid IS NULL OR organisation_id = @organisation OR @organisation = ANY(coalesce(disclosed_organisations, '{}')))";

    private static async Task<IReadOnlyList<AuditEntry>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var entries = new List<AuditEntry>();
        await using var rows = await command.ExecuteReaderAsync(cancellationToken);
        while (await rows.ReadAsync(cancellationToken))
        {
            var actor = rows.IsDBNull(2)
                ? new ActingPrincipal(PrincipalKind.PartnerSystem, rows.GetGuid(3))
                : new ActingPrincipal(PrincipalKind.Practitioner, rows.GetGuid(2));
            entries.Add(new AuditEntry(
                rows.GetGuid(0), new DateTimeOffset(rows.GetFieldValue<DateTime>(1), TimeSpan.Zero), actor, new OrganisationId(rows.GetGuid(4)),
                rows.GetString(5), rows.IsDBNull(6) ? null : new ClientId(rows.GetGuid(6)),
                Enum.Parse<AuditChannel>(rows.GetString(7), ignoreCase: true), rows.IsDBNull(8) ? null : rows.GetString(8),
                Enum.Parse<AuditOutcome>(rows.GetString(9), ignoreCase: true), rows.IsDBNull(10) ? null : rows.GetString(10),
                rows.IsDBNull(11) ? null : rows.GetGuid(11))
            {
                DisclosedOrganisations = rows.IsDBNull(12) ? [] : [.. rows.GetFieldValue<Guid[]>(12).Select(o => new OrganisationId(o))],
            });
        }
        return entries;
    }

    private static NpgsqlParameter Uuid(string name, Guid? value) => new(name, NpgsqlDbType.Uuid) { Value = (object?)value ?? DBNull.Value };
}
