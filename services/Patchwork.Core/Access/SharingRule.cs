namespace Patchwork.Core.Access;

/// <summary>The rule of DESIGN.md §3 that decided one involvement for one viewer; it goes into the audit entry.</summary>
public enum SharingRule
{
    /// <summary>Rule 1: the viewer's own organisation recorded it.</summary>
    OwnOrganisation,

    /// <summary>Rule 2 with a consent naming the viewer's organisation or sector.</summary>
    TeamMemberWithConsent,

    /// <summary>Rule 2 with an approved lawful basis other than consent (general categories only).</summary>
    TeamMemberWithSharingWithoutConsent,

    /// <summary>Refinement 6: the sensitive practitioner accepted this viewer's contact request.</summary>
    RevealedContact,

    /// <summary>Rule 3: the viewer holds an active break-glass grant.</summary>
    BreakGlass,

    /// <summary>Refinement 6: hidden, but the viewer is told another service is involved.</summary>
    Masked,

    Hidden,
}

/// <summary>Why an involvement is not visible to a viewer by rule 1 or 2, for the audit of denials; never shown to the viewer.</summary>
public enum HiddenBecause
{
    NoLegitimateRelationship,
    NoActiveAgreement,
    AgreementDoesNotCoverCategory,
    NoSharingBasis,
    Objection,
    EndedTooLongAgo,
    Undisclosed,
}
