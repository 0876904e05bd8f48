using System.Collections.Immutable;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Patchwork.Core.Access;

/// <summary>
/// What the access policy tells an operator: a span per decision with its outcome and the rules that decided it, and a
/// count of refusals by rule. Never who asked or about whom: no ids, no names, only the policy's own vocabulary.
/// </summary>
public static class PolicyTelemetry
{
    public const string Name = "Patchwork.AccessPolicy";

    private static readonly ActivitySource Source = new(Name);
    private static readonly Meter Meter = new(Name);

    private static readonly Counter<long> Refusals = Meter.CreateCounter<long>("patchwork.policy.refusals", "{involvement}",
        "Involvements the policy hid from a viewer (masked or hidden), by the first rule that hid each");

    internal static Activity? Start(string operation)
    {
        var activity = Source.StartActivity("access-policy " + operation, ActivityKind.Internal);
        activity?.SetTag("patchwork.policy.operation", operation);
        return activity;
    }

    /// <summary>Records the outcome on the span and counts each hidden involvement by the rule that hid it.</summary>
    /// <remarks>
    /// Refusals are counted by the evaluations that decide what a viewer is shown (<see cref="AccessPolicy.TeamOf"/>,
    /// <see cref="AccessPolicy.Decide"/>), not by <see cref="AccessPolicy.DecideAll"/>, which repeats a read's decisions for its audit entry.
    /// </remarks>
    internal static void Decided(Activity? activity, IReadOnlyCollection<AccessDecision> decisions, bool countRefusals = true)
    {
        var visible = 0;
        var masked = 0;
        foreach (var decision in decisions)
        {
            if (decision.IsVisible)
            {
                visible++;
                continue;
            }
            if (decision.Rule == SharingRule.Masked) masked++;
            if (countRefusals && Refusals.Enabled)
                Refusals.Add(1, new KeyValuePair<string, object?>("rule", decision.HiddenBecause.IsDefaultOrEmpty ? decision.Rule.ToString() : decision.HiddenBecause[0].ToString()));
        }
        if (activity is null) return;
        activity.SetTag("patchwork.policy.outcome", visible > 0 ? "allowed" : masked > 0 ? "masked" : "refused");
        activity.SetTag("patchwork.policy.visible", visible);
        activity.SetTag("patchwork.policy.hidden", decisions.Count - visible);
        activity.SetTag("patchwork.policy.rules", string.Join(',', decisions.Select(d => d.Rule.ToString()).Distinct().Order(StringComparer.Ordinal)));
    }

    internal static ImmutableArray<AccessDecision> Decided(Activity? activity, ImmutableArray<AccessDecision> decisions)
    {
        Decided(activity, (IReadOnlyCollection<AccessDecision>)decisions, countRefusals: false);
        return decisions;
    }
}
