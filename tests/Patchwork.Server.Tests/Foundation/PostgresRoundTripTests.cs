using Npgsql;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.Foundation;

public sealed class PostgresRoundTripTests(PostgresSchema schema) : IClassFixture<PostgresSchema>
{
    [Fact]
    public async Task A_row_written_to_the_local_cluster_reads_back_from_a_new_connection()
    {
        var written = Guid.CreateVersion7();
        await using (var owner = new NpgsqlConnection(schema.OwnerConnectionString))
        {
            await owner.OpenAsync();
            await using var create = new NpgsqlCommand(
                $"CREATE TABLE \"{schema.Name}\".round_trip (id uuid PRIMARY KEY, at timestamptz NOT NULL DEFAULT now());" +
                $"INSERT INTO \"{schema.Name}\".round_trip (id) VALUES (@id)", owner);
            create.Parameters.AddWithValue("id", written);
            await create.ExecuteNonQueryAsync();
        }

        await using var reader = new NpgsqlConnection(schema.OwnerConnectionString);
        await reader.OpenAsync();
        await using var select = new NpgsqlCommand($"SELECT id, version() FROM \"{schema.Name}\".round_trip", reader);
        await using var row = await select.ExecuteReaderAsync();

        (await row.ReadAsync()).ShouldBeTrue();
        row.GetGuid(0).ShouldBe(written);
        row.GetString(1).ShouldStartWith("PostgreSQL 15");
        reader.Host.ShouldBe("127.0.0.1");
    }
}
