using System.Globalization;
using Npgsql;
using Patchwork.Server.Demo;
using Patchwork.Server.Tokens;
using Patchwork.Testing;
using static Patchwork.Server.Tests.Api.AuthorizationMatrixTests;

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


    /// <summary>
    /// One cell of a literal matrix: what <paramref name="send"/> answered the caller against the status the table gives,
    /// the route the row declares, one audit entry (none for the anonymous caller) whose outcome agrees, and a problem
    /// body for every refusal past sign-in. The differences, empty when the cell holds.
    /// </summary>
    public static async Task<IReadOnlyList<string>> CellAsync(ApiServer server, Caller caller, string route, int expected, Func<Task<HttpResponseMessage>> send)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(send);
        var wrong = new List<string>();
        var audited = await server.AuditCountAsync();
        using var response = await send();
        var status = (int)response.StatusCode;
        wrong.AddRange(RouteDifferences(caller.ToString(), route, response));
        var entries = await server.AuditCountAsync() - audited;
        if (entries != (caller == Caller.Anonymous ? 0 : 1)) wrong.Add($"{caller}: {entries} audit entries for {status}");
        else if (entries == 1) wrong.AddRange(AuditDifferences(caller.ToString(), status, await NewestAuditAsync(server.Schema)));
        if (status != expected) wrong.Add($"{caller}: expected {expected}, got {status} {await response.Content.ReadAsStringAsync()}");
        else if (status >= 400 && status != 401 && response.Content.Headers.ContentType?.MediaType != "application/problem+json")
            wrong.Add($"{caller}: {status} without a problem body");
        return wrong;
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
