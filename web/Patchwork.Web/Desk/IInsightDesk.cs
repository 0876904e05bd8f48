using Patchwork.Core.Insight;

namespace Patchwork.Web.Desk;

/// <summary>
/// The partnership's figures through the pages (issue 23). The host implements it with the API's own read, so each view
/// is refused (404) and audited exactly as there.
/// </summary>
public interface IInsightDesk
{
    /// <summary>Which views the signed-in practitioner may read, from their session's roles.</summary>
    InsightRights Rights { get; }

    Task<DeskOutcome<InsightView>> ReadAsync(string view, string? basis, int? year, string? purpose, CancellationToken cancellationToken);
}

/// <summary>Managers read activity, DPOs access; a partnership admin both, for every organisation.</summary>
public sealed record InsightRights(bool Activity, bool Access, bool EveryOrganisation)
{
    public bool Any => Activity || Access;
}
