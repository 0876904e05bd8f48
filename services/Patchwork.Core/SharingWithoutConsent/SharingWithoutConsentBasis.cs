namespace Patchwork.Core.SharingWithoutConsent;

/// <summary>The lawful bases other than consent that the partnership recognises.</summary>
public enum LawfulBasis
{
    SafeguardingChild,
    SafeguardingAdultAtRisk,
    PublicTask,
    VitalInterests,
}

/// <summary>
/// A recorded lawful basis to share a client's general involvements without consent. It is in force only once a
/// manager has approved it and until it expires; it never covers a sensitive category. Its justification is kept under
/// its id in the erasable <see cref="Clients.Justifications"/>.
/// </summary>
public sealed record SharingWithoutConsentBasis(
    SharingWithoutConsentId Id,
    LawfulBasis Basis,
    ActedBy RequestedBy,
    DateTimeOffset RequestedAt,
    DateTimeOffset ExpiresAt,
    PractitionerId? ApprovedBy,
    DateTimeOffset? ApprovedAt)
{
    public bool IsInForce(DateTimeOffset now) => ApprovedAt is { } approved && approved <= now && now < ExpiresAt;

    public static SharingWithoutConsentBasis From(SharingWithoutConsentRequested requested) => new(
        requested.Basis, requested.LawfulBasis, requested.By, requested.At, requested.ExpiresAt, null, null);
}
