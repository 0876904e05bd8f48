using System.Collections.Immutable;
using Patchwork.Core;
using Patchwork.Core.Access;
using Patchwork.Core.Clients;
using Patchwork.Core.Practitioners;

namespace Patchwork.Server.Api.Audit;

/// <summary>
/// One subject access export as the policy let its exporter make it (DESIGN.md §3 rule 10): what their organisation holds
/// and may see (everything, for a partnership admin), the access log they may read, and the erasure if there was one.
/// The JSON export, the FHIR Bundle and the page for the person are each a rendering of this, never a read of their own.
/// </summary>
public sealed record SubjectAccessRead(
    ClientId Client,
    DateTimeOffset At,
    Actor.Practitioner Exporter,
    string Purpose,
    bool Everything,
    ClientIdentity? Identity,
    ClientSharing Sharing,
    IReadOnlyList<MaskedHandle> Masked,
    AuditDetail Detail,
    IReadOnlyDictionary<Guid, string> Justifications,
    ClientErasure? Erasure,
    Partnership Partnership)
{
    /// <summary>The access log, oldest first, as it stood when the export began (its own entry included).</summary>
    public IReadOnlyList<AuditEntry> Audit { get; init; } = [];

    /// <summary>The practitioners of the organisations the export names, to say who did what.</summary>
    public ImmutableDictionary<PractitionerId, Practitioner> Practitioners { get; init; } = ImmutableDictionary<PractitionerId, Practitioner>.Empty;

    /// <summary>Each audit entry as this exporter may be shown it (rule 11): the rule reduced to its family unless a partnership admin.</summary>
    public IEnumerable<(AuditEntry Entry, AuditEntryResponse Shown)> ShownAudit =>
        Audit.Select(entry => (entry, AuditEntryResponse.For(entry, Detail, Justifications)));

    public string OrganisationName(OrganisationId organisation) =>
        Partnership.Organisations.GetValueOrDefault(organisation)?.Name ?? "an organisation no longer in the partnership";
}

/// <summary>
/// The subject access export's answer: the read, or the refusal each door answers in its own form (not found, as if there
/// were no such client, or invalid, naming purpose).
/// </summary>
public sealed record SubjectAccessAnswer(Problem? Refusal, SubjectAccessRead? Read);

/// <summary>
/// That the person's personal data was erased (DESIGN.md §6), when, and the retention decision given: the record of it is
/// the erasure's audit entry, which is never erased.
/// </summary>
public sealed record ClientErasure(DateTimeOffset At, string? Reason)
{
    /// <summary>What erasure destroys, in the words the person reads.</summary>
    public static IReadOnlyList<string> Erased { get; } =
    [
        "name, date of birth, NHS number, postcode and each organisation's own reference number",
        "the words of every message practitioners wrote to each other about the person",
        "the written reasons given for emergency access and for sharing without consent",
    ];

    /// <summary>What erasure keeps, so that the record of who worked with the person and who looked stays answerable.</summary>
    public static string Kept =>
        "who worked with the person and when, what was shared and on what basis, and every look at the record, without the details above";
}
