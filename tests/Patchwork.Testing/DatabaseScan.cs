using System.Text;
using Npgsql;

namespace Patchwork.Testing;

/// <summary>
/// Every value in every table of a schema as text, for canary scans. Binary columns are rendered with their
/// printable bytes as characters (encode … 'escape'), so plaintext hidden in a bytea column is still found.
/// </summary>
public static class DatabaseScan
{
    public static async Task<IReadOnlyList<string>> EveryRowAsTextAsync(string ownerConnectionString, string schema)
    {
        await using var database = NpgsqlDataSource.Create(ownerConnectionString);
        var columns = new List<(string Table, string Column, string Type)>();
        await using (var list = database.CreateCommand(
            "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c " +
            "JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name " +
            "WHERE c.table_schema = @schema AND t.table_type = 'BASE TABLE' ORDER BY c.table_name, c.ordinal_position"))
        {
            list.Parameters.AddWithValue("schema", schema);
            await using var rows = await list.ExecuteReaderAsync();
            while (await rows.ReadAsync()) columns.Add((rows.GetString(0), rows.GetString(1), rows.GetString(2)));
        }
        var everything = new List<string>();
        foreach (var table in columns.GroupBy(c => c.Table))
        {
            var values = string.Join(", ", table.Select(c => c.Type == "bytea"
                ? $"coalesce(encode(\"{c.Column}\", 'escape'), '')"
                : $"coalesce(\"{c.Column}\"::text, '')"));
            await using var dump = database.CreateCommand($"SELECT concat_ws(' | ', {values}) FROM \"{schema}\".\"{table.Key}\"");
            await using var rows = await dump.ExecuteReaderAsync();
            while (await rows.ReadAsync()) everything.Add($"{table.Key}: {rows.GetString(0)}");
        }
        return everything;
    }
}
