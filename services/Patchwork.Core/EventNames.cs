using System.Collections.Immutable;
using Patchwork.Core.Agreements;
using Patchwork.Core.Attention;
using Patchwork.Core.BreakGlass;
using Patchwork.Core.Categories;
using Patchwork.Core.Consents;
using Patchwork.Core.ContactRequests;
using Patchwork.Core.Involvements;
using Patchwork.Core.Objections;
using Patchwork.Core.Organisations;
using Patchwork.Core.PartnerSystems;
using Patchwork.Core.Practitioners;
using Patchwork.Core.SharingWithoutConsent;

namespace Patchwork.Core;

/// <summary>
/// The stable, versioned name of every domain event, as stored in the log. A name never changes once used;
/// a changed shape gets a new version (".v2") and an upcaster.
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
    public const string AttentionRaised = "attention.raised.v1";
    public const string ContactRequested = "contact-request.requested.v1";
    public const string ContactRequestAnswered = "contact-request.answered.v1";
    public const string OrganisationRegistered = "organisation.registered.v1";
    public const string PractitionerRegistered = "practitioner.registered.v1";
    public const string PartnerSystemRegistered = "partner-system.registered.v1";
    public const string AgreementMade = "agreement.made.v1";
    public const string AgreementEnded = "agreement.ended.v1";
    public const string CategoryAdded = "category.added.v1";

    /// <summary>Every domain event type with its name, for registering with the event store's serializer.</summary>
    public static ImmutableDictionary<Type, string> ByType { get; } = new Dictionary<Type, string>
    {
        [typeof(InvolvementRecorded)] = InvolvementRecorded,
        [typeof(InvolvementEnded)] = InvolvementEnded,
        [typeof(InvolvementRoleOrContactChanged)] = InvolvementRoleOrContactChanged,
        [typeof(InvolvementWithheld)] = InvolvementWithheld,
        [typeof(ConsentRecorded)] = ConsentRecorded,
        [typeof(ConsentWithdrawn)] = ConsentWithdrawn,
        [typeof(ObjectionRecorded)] = ObjectionRecorded,
        [typeof(ObjectionWithdrawn)] = ObjectionWithdrawn,
        [typeof(SharingWithoutConsentRequested)] = SharingWithoutConsentRequested,
        [typeof(SharingWithoutConsentApproved)] = SharingWithoutConsentApproved,
        [typeof(BreakGlassGranted)] = BreakGlassGranted,
        [typeof(AttentionRaised)] = AttentionRaised,
        [typeof(ContactRequested)] = ContactRequested,
        [typeof(ContactRequestAnswered)] = ContactRequestAnswered,
        [typeof(OrganisationRegistered)] = OrganisationRegistered,
        [typeof(PractitionerRegistered)] = PractitionerRegistered,
        [typeof(PartnerSystemRegistered)] = PartnerSystemRegistered,
        [typeof(AgreementMade)] = AgreementMade,
        [typeof(AgreementEnded)] = AgreementEnded,
        [typeof(CategoryAdded)] = CategoryAdded,
    }.ToImmutableDictionary();
}
