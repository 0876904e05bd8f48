namespace Patchwork.Server.Tokens;

/// <summary>The scopes a partner client can be granted; each has a policy of the same meaning on the API.</summary>
public static class PartnerScopes
{
    public const string Read = "partner.read";
    public const string InvolvementsWrite = "partner.involvements.write";
    public const string ConsentsWrite = "partner.consents.write";

    public static IReadOnlyList<string> All { get; } = [Read, InvolvementsWrite, ConsentsWrite];

    public static bool IsKnown(string scope) => All.Contains(scope, StringComparer.Ordinal);

    /// <summary>RFC 6749 §3.3: a space-delimited list; duplicates collapse, order is not significant.</summary>
    public static IReadOnlyList<string> Parse(string? scope) =>
        string.IsNullOrEmpty(scope) ? [] : scope.Split(' ', StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToList();
}
