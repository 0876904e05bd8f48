namespace Patchwork.Core.Consents;

/// <summary>Who gave a consent; a name would be personal data, so the log holds only the relationship.</summary>
public enum ConsentGiver
{
    Client,
    PersonWithParentalResponsibility,
    LegalRepresentative,
}

public enum EvidenceKind
{
    Written,
    Verbal,
    Electronic,
}

/// <summary>How consent was evidenced; the reference points into the recording agency's own records.</summary>
public sealed record ConsentEvidence(EvidenceKind Kind, string? Reference);

/// <summary>The client's agreement to share their involvements with an organisation or a sector.</summary>
public sealed record Consent(
    ConsentId Id,
    SharingScope Scope,
    CategoryScope Categories,
    ConsentGiver GivenBy,
    ConsentEvidence Evidence,
    DateTimeOffset GivenAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? WithdrawnAt)
{
    public bool IsInForce(DateTimeOffset now) => WithdrawnAt is null && GivenAt <= now && (ExpiresAt is null || now < ExpiresAt);

    public static Consent From(ConsentRecorded recorded) => new(
        recorded.Consent, recorded.Scope, recorded.Categories, recorded.GivenBy, recorded.Evidence, recorded.At, recorded.ExpiresAt, null);
}
