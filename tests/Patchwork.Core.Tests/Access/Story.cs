using System.Collections.Immutable;
using Patchwork.Core.Agreements;
using Patchwork.Core.BreakGlass;
using Patchwork.Core.Consents;
using Patchwork.Core.ContactRequests;
using Patchwork.Core.Involvements;
using Patchwork.Core.Objections;
using Patchwork.Core.Organisations;
using Patchwork.Core.SharingWithoutConsent;
using static Patchwork.Core.Tests.Access.Cast;

namespace Patchwork.Core.Tests.Access;

/// <summary>
/// A client's history told in domain words, building the events the policy's state is evolved from.
/// Every step returns a new story, so a scenario can branch from a shared beginning.
/// </summary>
public sealed record Story(ImmutableList<object> PartnershipEvents, ImmutableList<object> ClientEvents, DateTimeOffset Now)
{
    private static readonly ActedBy Admin = new(ChildrensSocialCare.Id, null, null);

    private static readonly AgreementId CountyAgreement = new(Named.Guid("county information sharing agreement"));

    /// <summary>The county partnership with one agreement joining every agency for every category.</summary>
    public static Story CountyPartnership() => new(
        [
            .. Agencies.Select(a => new OrganisationRegistered(a.Id, a.Name, a.Sector, null, null, Admin, Cast.Now.AddYears(-2))),
            new AgreementMade(
                CountyAgreement, "County information sharing agreement", [.. Agencies.Select(a => a.Id)],
                CategoryScope.GeneralAnd([.. Category.WellKnown.Where(c => c.IsSensitive)]), Today.AddYears(-1), null, Admin, Cast.Now.AddYears(-1)),
        ],
        [],
        Cast.Now);

    public static Story ClientWithSocialWorkerAndPolice() => CountyPartnership()
        .Involving(SocialWorker, SocialWorkersInvolvement, "allocated social worker")
        .Involving(PoliceOfficer, PoliceOfficersInvolvement, "officer in the case");

    public static Story ClientWithSocialWorkerPoliceAndSexualHealthNurse() => ClientWithSocialWorkerAndPolice()
        .Involving(SexualHealthNurse, SexualHealthNursesInvolvement, "sexual health nurse", Category.SexualHealth);

    public Story Involving(Member member, InvolvementId id, string role, Category? category = null, bool undisclosed = false) =>
        Client(new InvolvementRecorded(
            id, TheClient, member.Id, role, null, category ?? Category.General, Today.AddDays(-30),
            new ContactRoute("01632 960000", $"{member.Id.Value:N}@example.org"), undisclosed, By(member), Now.AddDays(-30)));

    public Story WithRefugeWorkerUndisclosed() =>
        Involving(RefugeWorker, RefugeWorkersInvolvement, "refuge key worker", Category.DomesticAbuseSupport, undisclosed: true);

    public Story Ended(InvolvementId involvement, int daysAgo) =>
        Client(new InvolvementEnded(involvement, TheClient, Today.AddDays(-daysAgo), Admin, Now.AddDays(-daysAgo)));

    public Story PoliceOfficerEndedTheirInvolvement() => Ended(PoliceOfficersInvolvement, daysAgo: 0) with { };

    // Consents: a story remembers its last consent, so ".Withdrawn()" and ".Expired()" read as English.
    public Story ConsentTo(Agency agency, params Category[] named) =>
        Consent(SharingScope.OrganisationNamed(agency.Id), CategoryScope.GeneralAnd(named));

    public Story ConsentTo(Sector sector, params Category[] named) =>
        Consent(SharingScope.SectorNamed(sector), CategoryScope.GeneralAnd(named));

    public Story ConsentOnlyTo(Agency agency, params Category[] named) =>
        Consent(SharingScope.OrganisationNamed(agency.Id), CategoryScope.Only(named));

    public Story Withdrawn() =>
        Client(new ConsentWithdrawn(LastConsent.Consent, TheClient, Admin, Now.AddMinutes(-1)));

    public Story Expired() => Replace(LastConsent, LastConsent with { ExpiresAt = Now.AddSeconds(-1) });

    public Story ExpiringTomorrow() => Replace(LastConsent, LastConsent with { ExpiresAt = Now.AddDays(1) });

    public Story ObjectionTo(Agency agency) =>
        Client(new ObjectionRecorded(new ObjectionId(Guid.NewGuid()), TheClient, SharingScope.OrganisationNamed(agency.Id), Admin, Now.AddDays(-2)));

    public Story ObjectionTo(Sector sector) =>
        Client(new ObjectionRecorded(new ObjectionId(Guid.NewGuid()), TheClient, SharingScope.SectorNamed(sector), Admin, Now.AddDays(-2)));

    public Story SharingWithoutConsentApproved() => SharingWithoutConsent(approved: true, expiresAt: Now.AddDays(30));

    public Story SharingWithoutConsentAwaitingApproval() => SharingWithoutConsent(approved: false, expiresAt: Now.AddDays(30));

    public Story SharingWithoutConsentExpired() => SharingWithoutConsent(approved: true, expiresAt: Now.AddSeconds(-1));

    public Story WithoutAgreement() => this with { PartnershipEvents = PartnershipEvents.RemoveAll(e => e is AgreementMade) };

    public Story AgreementEnded() => Partnership(new AgreementEnded(CountyAgreement, Admin, Now.AddHours(-1)));

    public Story AgreementCoveringGeneralOnly() => this with
    {
        PartnershipEvents = PartnershipEvents.Select(e => e is AgreementMade a ? a with { Categories = CategoryScope.GeneralOnly } : e).ToImmutableList(),
    };

    public Story AgreementLastDay(DateOnly last) => this with
    {
        PartnershipEvents = PartnershipEvents.Select(e => e is AgreementMade a ? a with { End = last } : e).ToImmutableList(),
    };

    public Story AgreementStarting(DateOnly first) => this with
    {
        PartnershipEvents = PartnershipEvents.Select(e => e is AgreementMade a ? a with { Start = first } : e).ToImmutableList(),
    };

    public Story BreakGlass(Member member) => Grant(member, Now.AddHours(-1), Now.AddHours(3));

    public Story BreakGlassExpired(Member member) => Grant(member, Now.AddHours(-5), Now.AddHours(-1));

    public Story ContactRequest(Member requester, InvolvementId involvement, ContactAnswer? answer)
    {
        var request = new ContactRequestId(Guid.NewGuid());
        var asked = Client(new ContactRequested(request, TheClient, involvement, requester.Id, requester.Agency.Id, Now.AddHours(-2)));
        return answer is { } given
            ? asked.Client(new ContactRequestAnswered(request, TheClient, involvement, requester.Id, given, Admin, Now.AddHours(-1)))
            : asked;
    }

    public Story At(DateTimeOffset now) => this with { Now = now };

    public ClientSharing ClientState => ClientSharing.From(TheClient, ClientEvents);

    public Core.Partnership PartnershipState => Core.Partnership.From(PartnershipEvents);

    private ConsentRecorded LastConsent => ClientEvents.OfType<ConsentRecorded>().LastOrDefault()
        ?? throw new InvalidOperationException("the story has no consent yet");

    private Story Consent(SharingScope scope, CategoryScope categories) => Client(new ConsentRecorded(
        new ConsentId(Guid.NewGuid()), TheClient, scope, categories, ConsentGiver.Client, new ConsentEvidence(EvidenceKind.Written, "form 12"), null, Admin, Now.AddDays(-10)));

    private Story SharingWithoutConsent(bool approved, DateTimeOffset expiresAt)
    {
        var basis = new SharingWithoutConsentId(Guid.NewGuid());
        var requested = Client(new SharingWithoutConsentRequested(
            basis, TheClient, LawfulBasis.SafeguardingChild, expiresAt, By(SocialWorker), Now.AddDays(-7)));
        return approved ? requested.Client(new SharingWithoutConsentApproved(basis, TheClient, By(SocialWorkersManager), Now.AddDays(-6))) : requested;
    }

    private Story Grant(Member member, DateTimeOffset at, DateTimeOffset expiresAt) => Client(new BreakGlassGranted(
        new GrantId(Guid.NewGuid()), TheClient, member.Id, member.Agency.Id, expiresAt, at));

    private Story Client(object @event) => this with { ClientEvents = ClientEvents.Add(@event) };

    private Story Partnership(object @event) => this with { PartnershipEvents = PartnershipEvents.Add(@event) };

    private Story Replace(object old, object @new) => this with { ClientEvents = ClientEvents.Replace(old, @new) };

    private static ActedBy By(Member member) => new(member.Agency.Id, member.Id, null);
}
