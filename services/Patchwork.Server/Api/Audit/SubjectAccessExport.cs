using Patchwork.Core;
using Patchwork.Core.Access;
using Patchwork.Core.Clients;

namespace Patchwork.Server.Api.Audit;

/// <summary>
/// One JSON document of what the exporter may hold about a client (DESIGN.md §6, §3 rule 10): identity, involvements,
/// masked entries ("another service is involved"), consents, bases and the audit, whose rules only a partnership admin reads in full;
/// after an erasure, <see cref="Erasure"/> says when, why, what went and what stays.
/// </summary>
public sealed record SubjectAccessExport(
    Guid ClientId,
    DateTimeOffset ExportedAt,
    SubjectAccessExport.IdentityPart? Identity,
    IReadOnlyList<SubjectAccessExport.InvolvementPart> Involvements,
    IReadOnlyList<SubjectAccessExport.MaskedPart> Masked,
    IReadOnlyList<SubjectAccessExport.ConsentPart> Consents,
    IReadOnlyList<SubjectAccessExport.ObjectionPart> Objections,
    IReadOnlyList<SubjectAccessExport.BasisPart> SharingWithoutConsent,
    IReadOnlyList<SubjectAccessExport.GrantPart> BreakGlass,
    IReadOnlyList<AuditEntryResponse> Audit,
    string? AuditNextCursor = null,
    SubjectAccessExport.ErasurePart? Erasure = null)
{
    /// <summary>One page of the export: the record in full, and <paramref name="audit"/>, one page of the access log (oldest first).</summary>
    public static SubjectAccessExport From(ClientId client, DateTimeOffset now, ClientIdentity? identity, ClientSharing sharing,
        IReadOnlyList<MaskedHandle> masked, IReadOnlyList<AuditEntry> audit, AuditDetail detail, IReadOnlyDictionary<Guid, string> justifications,
        string? auditNextCursor, ClientErasure? erasure = null)
    {
        ArgumentNullException.ThrowIfNull(sharing);
        ArgumentNullException.ThrowIfNull(masked);
        ArgumentNullException.ThrowIfNull(audit);
        return new(client.Value, now,
            identity is null ? null : new IdentityPart(identity.GivenNames, identity.FamilyName, identity.DateOfBirth, identity.NhsNumber?.Digits, identity.Postcode,
                identity.LocalReferences.ToDictionary(r => r.Key.Value, r => r.Value)),
            [.. sharing.Involvements.Values.OrderBy(i => i.Start).Select(i => new InvolvementPart(i.Id.Value, i.Organisation.Value, i.Practitioner?.Value, i.Role,
                i.Service, i.Category.Name, i.Start, i.End, i.Contact.Phone, i.Contact.Email, i.Undisclosed))],
            [.. masked.Select(m => new MaskedPart(m.Value))],
            [.. sharing.Consents.Values.Select(c => new ConsentPart(c.Id.Value, c.Scope.Organisation?.Value, c.Scope.Sector?.ToString(), c.Categories.IncludesGeneral,
                [.. c.Categories.Named.Select(n => n.Name)], c.GivenBy.ToString(), c.Evidence.Kind.ToString(), c.Evidence.Reference, c.GivenAt, c.ExpiresAt, c.WithdrawnAt))],
            [.. sharing.Objections.Values.Select(o => new ObjectionPart(o.Id.Value, o.Scope.Organisation?.Value, o.Scope.Sector?.ToString(), o.RecordedAt, o.WithdrawnAt))],
            [.. sharing.SharingWithoutConsent.Values.Select(b => new BasisPart(b.Id.Value, b.Basis.ToString(), Justifications.Show(justifications, b.Id.Value), b.RequestedBy.Organisation.Value,
                b.RequestedAt, b.ExpiresAt, b.ApprovedBy?.Value, b.ApprovedAt))],
            [.. sharing.Grants.Values.Select(g => new GrantPart(g.Id.Value, g.Practitioner.Value, g.Organisation.Value, Justifications.Show(justifications, g.Id.Value), g.GrantedAt, g.ExpiresAt))],
            [.. audit.Select(entry => AuditEntryResponse.For(entry, detail, justifications))], auditNextCursor,
            erasure is null ? null : new ErasurePart(erasure.At, erasure.Reason, ClientErasure.Erased, ClientErasure.Kept));
    }

    /// <summary>The person's personal data was erased at <paramref name="ErasedAt"/>: what went, why, and what the record keeps.</summary>
    public sealed record ErasurePart(DateTimeOffset ErasedAt, string? Reason, IReadOnlyList<string> Erased, string Kept);

    public sealed record IdentityPart(string GivenNames, string FamilyName, DateOnly DateOfBirth, string? NhsNumber, string? Postcode,
        IReadOnlyDictionary<Guid, string> LocalReferences);

    public sealed record InvolvementPart(Guid InvolvementId, Guid OrganisationId, Guid? PractitionerId, string Role, string? Service, string Category,
        DateOnly Start, DateOnly? End, string? Phone, string? Email, bool Undisclosed);

    /// <summary>An involvement the exporter's organisation is told of only as "another service is involved": no agency, name or category.</summary>
    public sealed record MaskedPart(string Handle)
    {
        public string Description => "another service is involved";
    }

    public sealed record ConsentPart(Guid ConsentId, Guid? OrganisationId, string? Sector, bool IncludesGeneral, IReadOnlyList<string> Categories,
        string GivenBy, string Evidence, string? EvidenceReference, DateTimeOffset GivenAt, DateTimeOffset? ExpiresAt, DateTimeOffset? WithdrawnAt);

    public sealed record ObjectionPart(Guid ObjectionId, Guid? OrganisationId, string? Sector, DateTimeOffset RecordedAt, DateTimeOffset? WithdrawnAt);

    public sealed record BasisPart(Guid BasisId, string LawfulBasis, string Justification, Guid RequestedByOrganisation, DateTimeOffset RequestedAt,
        DateTimeOffset ExpiresAt, Guid? ApprovedBy, DateTimeOffset? ApprovedAt);

    public sealed record GrantPart(Guid GrantId, Guid PractitionerId, Guid OrganisationId, string Justification, DateTimeOffset GrantedAt, DateTimeOffset ExpiresAt);
}
