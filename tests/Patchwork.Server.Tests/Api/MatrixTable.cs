using System.Globalization;
using Npgsql;
using Patchwork.Server.Demo;
using Patchwork.Server.Tokens;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.Api;

/// <summary>What every authorization matrix shares: its literal table, its partner callers and its audit checks.</summary>
public static class MatrixTable
{
    private static readonly SemaphoreSlim PartnerLock = new(1, 1);
    private static readonly Dictionary<string, (HttpClient Client, DateTime Obtained)> Partners = [];

    /// <summary>Access tokens live 5 minutes; a matrix on a loaded machine outlives one, so each is replaced well before.</summary>
    private static readonly TimeSpan TokenReuse = TimeSpan.FromMinutes(2);

    /// <summary>Each row "METHOD name status status ..." as the name and its statuses, in the table's column order.</summary>
    public static Dictionary<string, int[]> Rows(string table) =>
        table.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToDictionary(cells => cells[1], cells => cells[2..].Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray());

    /// <summary>A partner system of Social Care (same) or of the refuge (other) with every scope, one per server and kind.</summary>
    public static async Task<HttpClient> PartnerAsync(ApiServer server, bool sameOrganisation)
    {
        ArgumentNullException.ThrowIfNull(server);
        var organisation = sameOrganisation ? DemoPartnership.SocialCare.Id : DemoPartnership.Refuge.Id;
        await PartnerLock.WaitAsync();
        try
        {
            var key = server.Schema + organisation;
            if (!Partners.TryGetValue(key, out var partner) || DateTime.UtcNow - partner.Obtained > TokenReuse)
                Partners[key] = partner = (await server.AsPartnerOf(organisation, [.. PartnerScopes.All]), DateTime.UtcNow);
            return partner.Client;
        }
        finally
        {
            PartnerLock.Release();
        }
    }

    /// <summary>The one entry names the rule that allowed or denied, and its outcome agrees with the answer the caller got.</summary>
    public static IEnumerable<string> AuditDifferences(string caller, int status, (string Outcome, string? Rule) entry)
    {
        if (string.IsNullOrWhiteSpace(entry.Rule)) yield return $"{caller}: audit entry for {status} names no rule";
        // Every answer has an outcome of its own to agree with: a refusal of any kind (403, 404, 409, 412, 422) is denied.
        var outcome = status switch { >= 200 and < 300 => "allowed", >= 400 and < 500 => "denied", _ => null };
        if (outcome is null) yield return $"{caller}: {status} is no answer a matrix expects";
        else if (entry.Outcome != outcome) yield return $"{caller}: audit entry says {entry.Outcome} ({entry.Rule}) for {status}";
    }

    /// <summary>The cell reached the route its row declares: the declared list is what the route coverage test trusts.</summary>
    public static IEnumerable<string> RouteDifferences(string caller, string declared, HttpResponseMessage response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var matched = response.Headers.TryGetValues(MatchedRoute.Header, out var values) ? values.Single() : "no route";
        if (matched != declared) yield return $"{caller}: reached {matched}, but the row declares {declared}";
    }

    public static async Task<(string Outcome, string? Rule)> NewestAuditAsync(string schema)
    {
        await using var connection = new NpgsqlConnection(LocalServers.PostgresOwner);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT outcome, rule FROM \"{schema}\".audit_entries ORDER BY at DESC LIMIT 1", connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1));
    }
}
