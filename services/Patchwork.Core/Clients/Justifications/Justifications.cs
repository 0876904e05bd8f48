using Microsoft.AspNetCore.DataProtection;
using Npgsql;

namespace Patchwork.Core.Clients;

/// <summary>
/// The free-text justifications of break-glass grants and requests to share without consent, kept out of the
/// append-only event log (DESIGN.md §6): the event names the grant or basis, and its justification is stored here under
/// that id, as DataProtection ciphertext, and erased with the client's identity. This is the only code that knows the
/// table's SQL.
/// </summary>
public sealed class Justifications
{
    /// <summary>What a read shows where a justification was erased with the client's personal data.</summary>
    public const string Erased = "[erased with the client's personal data]";

    /// <summary>An audit entry's purpose that stands for the justification kept under an id (the audit trail cannot be erased).</summary>
    public const string PurposePrefix = "justification:";

    private readonly NpgsqlDataSource _database;
    private readonly IDataProtector _protector;
    private readonly string _table;

    public Justifications(NpgsqlDataSource database, IDataProtectionProvider protection, PersonalDataOptions options)
    {
        ArgumentNullException.ThrowIfNull(protection);
        ArgumentNullException.ThrowIfNull(options);
        _database = database;
        _protector = protection.CreateProtector("Patchwork.Justification.v1");
        _table = CoreSchema.Quote(options.Schema) + ".client_justification";
    }

    public static string Purpose(Guid id) => PurposePrefix + id.ToString();

    /// <summary>The insert, for the transaction that appends the event naming <paramref name="id"/>: both or neither.</summary>
    public NpgsqlBatchCommand Statement(ClientId client, Guid id, string text)
    {
        var statement = new NpgsqlBatchCommand($"INSERT INTO {_table} (id, client_id, protected) VALUES ($1, $2, $3)");
        statement.Parameters.Add(new NpgsqlParameter { Value = id });
        statement.Parameters.Add(new NpgsqlParameter { Value = client.Value });
        statement.Parameters.Add(new NpgsqlParameter { Value = _protector.Protect(System.Text.Encoding.UTF8.GetBytes(text)) });
        return statement;
    }

    /// <summary>Every justification kept for the client, by the id of the grant or basis; none once erased.</summary>
    public async Task<IReadOnlyDictionary<Guid, string>> OfClientAsync(ClientId client, CancellationToken cancellationToken)
    {
        await using var command = _database.CreateCommand($"SELECT id, protected FROM {_table} WHERE client_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = client.Value });
        var found = new Dictionary<Guid, string>();
        await using var rows = await command.ExecuteReaderAsync(cancellationToken);
        while (await rows.ReadAsync(cancellationToken))
            found[rows.GetGuid(0)] = System.Text.Encoding.UTF8.GetString(_protector.Unprotect(rows.GetFieldValue<byte[]>(1)));
        return found;
    }

    /// <summary>The justification kept under <paramref name="id"/>, or <see cref="Erased"/>.</summary>
    public static string Show(IReadOnlyDictionary<Guid, string> kept, Guid id)
    {
        ArgumentNullException.ThrowIfNull(kept);
        return kept.TryGetValue(id, out var text) ? text : Erased;
    }

    /// <summary>An audit entry's purpose as a reader sees it: a justification reference becomes its text, or <see cref="Erased"/>.</summary>
    public static string? ShowPurpose(IReadOnlyDictionary<Guid, string> kept, string? purpose) =>
        purpose is not null && purpose.StartsWith(PurposePrefix, StringComparison.Ordinal) && Guid.TryParse(purpose.AsSpan(PurposePrefix.Length), out var id)
            ? Show(kept, id)
            : purpose;

    /// <summary>Erases the client's justifications in the caller's transaction, with their identity.</summary>
    public async Task EraseAsync(ClientId client, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"DELETE FROM {_table} WHERE client_id = $1", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = client.Value });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
