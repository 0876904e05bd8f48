using Patchwork.Core;
using Patchwork.Core.Access;

namespace Patchwork.Server.Api.Audit;

/// <summary>How much of an audit entry's rule a reader is shown (DESIGN.md §3, rule 11).</summary>
public enum AuditDetail
{
    /// <summary>Allowed or refused and the rule family only: "OwnOrganisation", "TeamMemberWithConsent", "Refused".</summary>
    RuleFamily,

    /// <summary>Everything the entry recorded, hidden and masked counts and denial reasons included: partnership admins only.</summary>
    Full,
}

public static class AuditDetails
{
    /// <summary>A partnership admin, acting for the partnership's joint controllers, reads entries in full; everyone else their families.</summary>
    public static AuditDetail For(CurrentActor caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return caller.Holds(Roles.PartnershipAdmin) ? AuditDetail.Full : AuditDetail.RuleFamily;
    }
}

/// <summary>
/// The family of a stored rule, as shown to anyone but a partnership admin. Stored rules keep the policy's internals for
/// the partnership's own review ("OwnOrganisation:1,Hidden:1", "NoLegitimateRelationship,Undisclosed"); shown, they would
/// tell a team member what is hidden from them, and a denied reader why, once they can read their own entries.
/// </summary>
public static class AuditRuleFamilies
{
    public const string Refused = "Refused";
    public const string Allowed = "Allowed";

    /// <summary>The rules that show an involvement; masked and hidden are what the reader was not shown.</summary>
    private static readonly string[] Showing = [.. Enum.GetValues<SharingRule>().Where(r => r is not (SharingRule.Masked or SharingRule.Hidden)).Select(r => r.ToString())];

    /// <summary>Words that only ever describe what is hidden, never shown even as a rule's leading word.</summary>
    private static readonly HashSet<string> Internal =
        [nameof(SharingRule.Masked), nameof(SharingRule.Hidden), .. Enum.GetNames<HiddenBecause>(), "NoInvolvements"];

    /// <summary>
    /// Refused for every denial (its reasons are the internals); for an allowed entry, the sharing rules that showed
    /// something, in the policy's order, or else the rule's leading word (such as "RegisteredClient" or "SubjectAccess")
    /// without its counts and ids, or just "Allowed".
    /// </summary>
    public static string Of(AuditOutcome outcome, string? rule)
    {
        if (outcome != AuditOutcome.Allowed) return Refused;
        var words = Words(rule);
        var showing = Showing.Where(words.Contains).ToList();
        if (showing.Count > 0) return string.Join(',', showing);
        return words.Count > 0 && !Internal.Contains(words[0]) ? words[0] : Allowed;
    }

    private static List<string> Words(string? rule)
    {
        var words = new List<string>();
        if (string.IsNullOrEmpty(rule)) return words;
        var start = -1;
        for (var i = 0; i <= rule.Length; i++)
        {
            var letter = i < rule.Length && char.IsAsciiLetter(rule[i]);
            if (letter && start < 0) start = i;
            else if (!letter && start >= 0)
            {
                words.Add(rule[start..i]);
                start = -1;
            }
        }
        return words;
    }
}
