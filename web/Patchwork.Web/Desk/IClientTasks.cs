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

    /// <summary>Whether the practitioner may prepare subject access copies at all (a DPO or a partnership admin); the export decides for each client.</summary>
    bool PreparesSubjectAccess { get; }

    /// <summary>
    /// The person's copy of what is held about them: the subject access export (the same door, refusals and audit entry as
    /// the API's), in plain words. A refusal marked not found when the practitioner may not export this client.
    /// </summary>
    Task<DeskOutcome<SubjectAccessCopy>> SubjectAccessAsync(ClientId client, string? purpose, CancellationToken cancellationToken);

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

/// <summary>
/// A subject access answer as the person reads it: plain words, no codes. <paramref name="PreparedFor"/> says whose records it
/// holds ("the partnership" for a partnership admin's, otherwise the exporting organisation).
/// </summary>
public sealed record SubjectAccessCopy(
    Guid Client, DateTimeOffset PreparedAt, string PreparedBy, string PreparedFor, bool Everything, PersonDetails? Person, ErasureNote? Erasure,
    IReadOnlyList<WorkedWith> Team, int OtherServices, IReadOnlyList<SharedOnBasis> Shared, IReadOnlyList<LookAtRecord> Looks);

public sealed record PersonDetails(string Name, DateOnly DateOfBirth, string? NhsNumber, string? Postcode, IReadOnlyList<string> References);

/// <summary>The person's personal details were erased: when, why, what went and what stays.</summary>
public sealed record ErasureNote(DateTimeOffset At, string? Reason, IReadOnlyList<string> Erased, string Kept);

/// <summary>One organisation's work with the person: who, in what role, from when to when (no end while it goes on).</summary>
public sealed record WorkedWith(string Organisation, string Role, string? Practitioner, string? Service, DateOnly From, DateOnly? To);

/// <summary>Something shared (or refused) with someone, what it covered, on what basis and why, from when, and how it stands.</summary>
public sealed record SharedOnBasis(string With, string What, string Basis, string? Why, DateTimeOffset From, string Standing);

/// <summary>One look at (or change to) the record: when, who for which organisation, what, why, how, and whether it was allowed.</summary>
public sealed record LookAtRecord(DateTimeOffset At, string Who, string Organisation, string What, string? Purpose, string How, bool Allowed);
