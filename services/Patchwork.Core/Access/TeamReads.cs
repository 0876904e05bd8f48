using System.Collections.Immutable;

namespace Patchwork.Core.Access;

/// <summary>The policy's decisions on a read, summarised for its audit entry.</summary>
public static class TeamReads
{
    /// <summary>Why nothing (or some things) were hidden: the distinct HiddenBecause reasons, in a stable order.</summary>
    public static string Reasons(ImmutableArray<AccessDecision> decisions) =>
        decisions.IsEmpty ? "NoInvolvements"
        : string.Join(',', decisions.SelectMany(d => d.HiddenBecause).Distinct().Order().Select(r => r.ToString())) is { Length: > 0 } reasons ? reasons
        : "Hidden";

    /// <summary>Which rules allowed what was shown, with masked and hidden counts.</summary>
    public static string Rules(ImmutableArray<AccessDecision> decisions) =>
        string.Join(',', decisions.GroupBy(d => d.Rule).OrderBy(g => g.Key).Select(g => $"{g.Key}:{g.Count()}"));
}
