using Patchwork.Core;

namespace Patchwork.Web.Desk;

/// <summary>
/// A data protection officer's break-glass review queue through the pages. The host implements it with the API's own
/// list and review, so the page is refused (404) and audited exactly as there, channel web.
/// </summary>
public interface IBreakGlassDesk
{
    /// <summary>Whether the signed-in practitioner reviews break-glass uses (a DPO), from their session's roles.</summary>
    bool Reviews { get; }

    /// <summary>Their organisation's uses awaiting review, or (<paramref name="reviewed"/>) already reviewed; newest first.</summary>
    Task<DeskOutcome<IReadOnlyList<BreakGlassUse>>> UsesAsync(bool reviewed, CancellationToken cancellationToken);

    /// <summary>Records a finding (<c>justified</c> or <c>not-justified</c>) on one use.</summary>
    Task<DeskOutcome<bool>> ReviewAsync(ClientId client, GrantId grant, string? finding, CancellationToken cancellationToken);
}

/// <summary>One use of break-glass as the DPO reviews it: who, when, for how long, and why they said they needed it.</summary>
public sealed record BreakGlassUse(GrantId Grant, ClientId Client, string Practitioner, DateTimeOffset GrantedAt, DateTimeOffset ExpiresAt, string Justification,
    string? Finding, DateTimeOffset? ReviewedAt);
