using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Patchwork.Server.Health;

/// <summary>Ready only when a real query round-trips through PostgreSQL within two seconds.</summary>
internal sealed class PostgresReadiness(NpgsqlDataSource database) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await using var command = database.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(deadline.Token);
            return HealthCheckResult.Healthy("query answered");
        }
        catch (Exception failure) when (failure is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("PostgreSQL did not answer: " + failure.GetType().Name);
        }
    }
}
