using Npgsql;

namespace Patchwork.Testing;

/// <summary>One audit entry as its columns hold it, read with the owner role so a test checks what is stored, not what the product reads back.</summary>
public sealed record AuditRow(
    Guid Id, DateTimeOffset At, Guid? Practitioner, Guid? PartnerSystem, Guid Organisation, string Action, Guid? Client,
    string Channel, string? Purpose, string Outcome, string? Rule);

public static class AuditRows
{
    /// <summary>Every entry of one action (and, when given, one client), oldest first.</summary>
    public static async Task<IReadOnlyList<AuditRow>> OfAsync(string schema, string action, Guid? client = null)
    {
        await using var connection = new NpgsqlConnection(LocalServers.PostgresOwner);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT id, at, practitioner_id, partner_system_id, organisation_id, action, client_id, channel, purpose, outcome, rule " +
            $"FROM \"{schema}\".audit_entries WHERE action = @action AND (@client::uuid IS NULL OR client_id = @client::uuid) ORDER BY at, id", connection);
        command.Parameters.AddWithValue("action", action);
        command.Parameters.AddWithValue("client", (object?)client ?? DBNull.Value);
        var found = new List<AuditRow>();
        await using var rows = await command.ExecuteReaderAsync();
        while (await rows.ReadAsync())
        {
            Guid? Maybe(int column) => rows.IsDBNull(column) ? null : rows.GetGuid(column);
            string? Text(int column) => rows.IsDBNull(column) ? null : rows.GetString(column);
            found.Add(new AuditRow(rows.GetGuid(0), rows.GetFieldValue<DateTimeOffset>(1), Maybe(2), Maybe(3), rows.GetGuid(4), rows.GetString(5),
                Maybe(6), rows.GetString(7), Text(8), rows.GetString(9), Text(10)));
        }
        return found;
    }
}
