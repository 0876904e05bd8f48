namespace Patchwork.Core;

/// <summary>
/// The stable, versioned name of every domain event, as stored in the log. A name never changes once used;
/// a changed shape gets a new version (".v2") and an upcaster. Each event record carries its name in [EventName].
/// </summary>
public static class EventNames
{
    public const string InvolvementRecorded = "involvement.recorded.v1";
    public const string InvolvementEnded = "involvement.ended.v1";
    public const string InvolvementRoleOrContactChanged = "involvement.role-or-contact-changed.v1";
    public const string InvolvementWithheld = "involvement.withheld.v1";
    public const string ConsentRecorded = "consent.recorded.v1";
    public const string ConsentWithdrawn = "consent.withdrawn.v1";
    public const string ObjectionRecorded = "objection.recorded.v1";
    public const string ObjectionWithdrawn = "objection.withdrawn.v1";
    public const string SharingWithoutConsentRequested = "sharing-without-consent.requested.v1";
    public const string SharingWithoutConsentApproved = "sharing-without-consent.approved.v1";
    public const string BreakGlassGranted = "break-glass.granted.v1";
    public const string BreakGlassReviewed = "break-glass.reviewed.v1";
    public const string AttentionRaised = "attention.raised.v1";
    public const string ContactRequested = "contact-request.requested.v1";
    public const string ContactRequestAnswered = "contact-request.answered.v1";
    public const string OrganisationRegistered = "organisation.registered.v1";
    public const string PractitionerRegistered = "practitioner.registered.v1";
    public const string AgreementMade = "agreement.made.v1";
    public const string AgreementEnded = "agreement.ended.v1";
    public const string CategoryAdded = "category.added.v1";
    public const string ThreadStarted = "thread.started.v1";
    public const string MessagePosted = "thread.message-posted.v1";
    public const string MessageWithdrawn = "thread.message-withdrawn.v1";
}
