using Npgsql;
using Patchwork.Core;

namespace Patchwork.Server.Tokens;

/// <summary>Spends a client assertion's <c>jti</c>: the first use wins on every node, a second is a replay.</summary>
internal sealed class AssertionReplayStore(NpgsqlDataSource database, TokenOptions options, TimeProvider clock)
{
    private readonly string _table = TokensSchema.Quote(options.Schema) + ".partner_client_assertion_jti";

    /// <returns>False when the jti was already spent by this client.</returns>
    public async Task<bool> TrySpendAsync(PartnerSystemId clientId, string jti, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        await using var batch = database.CreateBatch();
        // Expired rows go first: they bound the table, and an expired assertion fails its exp check before it gets here.
        var sweep = new NpgsqlBatchCommand($"DELETE FROM {_table} WHERE expires_at < @now");
        sweep.Parameters.AddWithValue("now", clock.GetUtcNow());
        var spend = new NpgsqlBatchCommand($"INSERT INTO {_table} (client_id, jti, expires_at) VALUES (@client, @jti, @expires) ON CONFLICT DO NOTHING");
        spend.Parameters.AddWithValue("client", clientId.Value);
        spend.Parameters.AddWithValue("jti", jti);
        spend.Parameters.AddWithValue("expires", expiresAt + options.ClockSkew);
        batch.BatchCommands.Add(sweep);
        batch.BatchCommands.Add(spend);
        await batch.ExecuteNonQueryAsync(cancellationToken);
        return spend.RecordsAffected == 1;
    }
}
