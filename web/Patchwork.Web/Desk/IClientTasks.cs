using Patchwork.Core;

namespace Patchwork.Web.Desk;

/// <summary>
/// The tasks on a client beyond joining the team and consent: emergency access, who viewed, ending an involvement, raising
/// attention. The host implements them with the API's own command pipeline and reads, so the one policy decides and each
/// leaves the API's audit entry (channel "web").
/// </summary>
public interface IClientTasks
{
    /// <summary>Emergency access to every involvement of the client, for a short time, with a written justification.</summary>
    Task<DeskOutcome<DateTimeOffset>> BreakGlassAsync(ClientId client, string? justification, int? minutes, CancellationToken cancellationToken);

    /// <summary>Who looked at and changed the client's record; null when the practitioner may not read it (as if no such client).</summary>
    Task<IReadOnlyList<Viewing>?> WhoViewedAsync(ClientId client, CancellationToken cancellationToken);

    Task<DeskOutcome<InvolvementId>> EndInvolvementAsync(ClientId client, InvolvementId involvement, DateOnly? end, CancellationToken cancellationToken);

    Task<DeskOutcome<bool>> RaiseAttentionAsync(ClientId client, CancellationToken cancellationToken);

    /// <summary>The client objects to sharing with a sector ("sector:Police") or an organisation ("organisation:{id}").</summary>
    Task<DeskOutcome<bool>> RecordObjectionAsync(ClientId client, string? shareWith, CancellationToken cancellationToken);

    /// <summary>Asks to share without consent on a lawful basis (a manager approves it); <paramref name="basis"/> names a LawfulBasis.</summary>
    Task<DeskOutcome<Guid>> RequestSharingWithoutConsentAsync(ClientId client, string? basis, string? justification, int? months, CancellationToken cancellationToken);

    Task<DeskOutcome<bool>> ApproveSharingWithoutConsentAsync(ClientId client, Guid basis, CancellationToken cancellationToken);
}

/// <summary>One entry of a client's access log, with the practitioner and organisation named.</summary>
public sealed record Viewing(DateTimeOffset At, string Who, string Organisation, string Action, string Channel, string? Purpose, bool Allowed);

/// <summary>A request to share without consent as the team sees it: its lawful basis, why, until when, and whether approved.</summary>
public sealed record SharingBasisSummary(Guid Id, string Basis, string Justification, DateTimeOffset ExpiresAt, bool Approved, bool InForce);
