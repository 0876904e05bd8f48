using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Npgsql;

namespace Patchwork.Core.Clients;

/// <summary>
/// The DataProtection key ring in PostgreSQL, so every node decrypts what any node encrypted. Keys arrive here
/// already encrypted by the key ring certificate; rows are only ever added (revocation is itself a new element).
/// </summary>
public sealed class PostgresKeyRing(NpgsqlDataSource database, string schema) : IXmlRepository
{
    private readonly string _table = CoreSchema.Quote(schema) + ".data_protection_keys";

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var command = database.CreateCommand($"SELECT xml FROM {_table} ORDER BY stored_at, friendly_name");
        using var rows = command.ExecuteReader();
        var elements = new List<XElement>();
        while (rows.Read()) elements.Add(XElement.Parse(rows.GetString(0)));
        return elements;
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var command = database.CreateCommand($"INSERT INTO {_table} (friendly_name, xml) VALUES (@name, @xml) ON CONFLICT DO NOTHING");
        command.Parameters.AddWithValue("name", friendlyName);
        command.Parameters.AddWithValue("xml", element.ToString(SaveOptions.DisableFormatting));
        command.ExecuteNonQuery();
    }
}
