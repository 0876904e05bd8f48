using Patchwork.Core.Access;
using Patchwork.Core.Consents;
using Patchwork.Core.Objections;
using Patchwork.Core.Tests.Access;
using static Patchwork.Core.Tests.Access.Cast;
using ConsentRecording = Patchwork.Core.Consents.Recording;
using ConsentWithdrawing = Patchwork.Core.Consents.Withdrawing;
using ObjectionRecording = Patchwork.Core.Objections.Recording;
using ObjectionWithdrawing = Patchwork.Core.Objections.Withdrawing;

namespace Patchwork.Core.Tests.Consents;

public sealed class ConsentDecisionTests
{
    private static readonly Story Story = Story.ClientWithSocialWorkerAndPolice();
    private static readonly ClientSharing Team = Story.ClientState;
    private static readonly Partnership County = Story.PartnershipState;

    private static RecordConsent ConsentToPolice(DateTimeOffset? expiresAt = null) => new(
        TheClient, ConsentId.New(), SharingScope.OrganisationNamed(Police.Id), CategoryScope.GeneralOnly,
        ConsentGiver.PersonWithParentalResponsibility, new ConsentEvidence(EvidenceKind.Written, "form 12"), expiresAt);

    [Fact]
    public void A_team_member_records_the_clients_consent_and_it_takes_effect()
    {
        var recorded = ConsentRecording.Decide(Team, ConsentToPolice(), SocialWorker.Acting(), County, Now).ShouldSucceed();
        var after = ClientSharing.Evolve(Team, recorded);

        after.Consents[recorded.Consent].IsInForce(Now).ShouldBeTrue();
        AccessPolicy.Decide(after, County, PoliceOfficer.AsViewer, SocialWorkersInvolvement, Now, Options)!.Rule
            .ShouldBe(SharingRule.TeamMemberWithConsent);
    }

    [Fact]
    public void An_organisation_outside_the_team_cannot_record_consent() =>
        ConsentRecording.Decide(Team, ConsentToPolice(), Teacher.Acting(), County, Now).ShouldBeRefused(ProblemKind.Forbidden);

    [Fact]
    public void An_expiry_must_be_in_the_future() =>
        ConsentRecording.Decide(Team, ConsentToPolice(expiresAt: Now), SocialWorker.Acting(), County, Now).ShouldBeInvalid("expiresAt");

    [Fact]
    public void A_consent_must_cover_something() =>
        ConsentRecording.Decide(Team, ConsentToPolice() with { Categories = CategoryScope.Only() }, SocialWorker.Acting(), County, Now).ShouldBeInvalid("categories");

    [Fact]
    public void A_consent_must_name_a_partner_organisation() =>
        ConsentRecording.Decide(Team, ConsentToPolice() with { Scope = SharingScope.OrganisationNamed(OrganisationId.New()) }, SocialWorker.Acting(), County, Now)
            .ShouldBeInvalid("scope");

    [Fact]
    public void Evidence_references_are_short() =>
        ConsentRecording.Decide(Team, ConsentToPolice() with { Evidence = new ConsentEvidence(EvidenceKind.Written, new string('x', 101)) }, SocialWorker.Acting(), County, Now)
            .ShouldBeInvalid("evidence");

    [Fact]
    public void A_consent_is_withdrawn_once()
    {
        var recorded = ConsentRecording.Decide(Team, ConsentToPolice(), SocialWorker.Acting(), County, Now).ShouldSucceed();
        var withdrawn = ConsentWithdrawing.Decide(ClientSharing.Evolve(Team, recorded), new WithdrawConsent(TheClient, recorded.Consent), PoliceOfficer.Acting(), Now).ShouldSucceed();
        var after = ClientSharing.Evolve(ClientSharing.Evolve(Team, recorded), withdrawn);

        after.Consents[recorded.Consent].IsInForce(Now).ShouldBeFalse();
        ConsentWithdrawing.Decide(after, new WithdrawConsent(TheClient, recorded.Consent), SocialWorker.Acting(), Now).ShouldBeRefused(ProblemKind.Conflict);
        ConsentWithdrawing.Decide(after, new WithdrawConsent(TheClient, ConsentId.New()), SocialWorker.Acting(), Now).ShouldBeRefused(ProblemKind.NotFound);
    }

    [Fact]
    public void An_objection_is_recorded_and_withdrawn_once()
    {
        var recorded = ObjectionRecording.Decide(Team, new RecordObjection(TheClient, ObjectionId.New(), SharingScope.SectorNamed(Sector.Police)), SocialWorker.Acting(), County, Now)
            .ShouldSucceed();
        var objected = ClientSharing.Evolve(Team, recorded);
        var withdrawn = ObjectionWithdrawing.Decide(objected, new WithdrawObjection(TheClient, recorded.Objection), SocialWorker.Acting(), County, Now).ShouldSucceed();

        ClientSharing.Evolve(objected, withdrawn).Objections[recorded.Objection].IsInForce(Now).ShouldBeFalse();
        ObjectionWithdrawing.Decide(ClientSharing.Evolve(objected, withdrawn), new WithdrawObjection(TheClient, recorded.Objection), SocialWorker.Acting(), County, Now)
            .ShouldBeRefused(ProblemKind.Conflict);
    }

    [Fact]
    public void Only_the_organisation_that_recorded_an_objection_withdraws_it_never_the_one_it_names()
    {
        var recorded = ObjectionRecording.Decide(Team, new RecordObjection(TheClient, ObjectionId.New(), SharingScope.SectorNamed(Sector.Police)), SocialWorker.Acting(), County, Now)
            .ShouldSucceed();
        var objected = ClientSharing.Evolve(Team, recorded);

        // The police are on the team, and the objection names them: lifting it would lift the client's "no" to themselves.
        ObjectionWithdrawing.Decide(objected, new WithdrawObjection(TheClient, recorded.Objection), PoliceOfficer.Acting(), County, Now)
            .ShouldBeRefused(ProblemKind.Forbidden);
        objected.Objections[recorded.Objection].IsInForce(Now).ShouldBeTrue();
    }

    [Fact]
    public void An_organisation_named_by_its_own_objection_cannot_withdraw_it_either()
    {
        var recorded = ObjectionRecording.Decide(Team, new RecordObjection(TheClient, ObjectionId.New(), SharingScope.OrganisationNamed(Police.Id)), PoliceOfficer.Acting(), County, Now)
            .ShouldSucceed();
        ObjectionWithdrawing.Decide(ClientSharing.Evolve(Team, recorded), new WithdrawObjection(TheClient, recorded.Objection), PoliceOfficer.Acting(), County, Now)
            .ShouldBeRefused(ProblemKind.Forbidden);
    }

    [Fact]
    public void A_team_member_cannot_record_a_consent_that_unmasks_another_agencys_sensitive_involvement()
    {
        var story = Story.ClientWithSocialWorkerAndPolice().Involving(RefugeWorker, RefugeWorkersInvolvement, "domestic abuse adviser", Category.DomesticAbuseSupport);
        var consent = ConsentToPolice() with { Categories = CategoryScope.GeneralAnd(Category.DomesticAbuseSupport) };

        // The officer (on the team) names their own organisation and the refuge's category: refused, and the refuge stays masked.
        ConsentRecording.Decide(story.ClientState, consent, PoliceOfficer.Acting(), story.PartnershipState, Now).ShouldBeRefused(ProblemKind.Forbidden);
        AccessPolicy.TeamOf(story.ClientState, story.PartnershipState, PoliceOfficer.AsViewer, Now, Options).Masked.Length.ShouldBe(1);

        // The refuge, whose relationship it is, may record the client's consent to share it with the police.
        var recorded = ConsentRecording.Decide(story.ClientState, consent, RefugeWorker.Acting(), story.PartnershipState, Now).ShouldSucceed();
        AccessPolicy.Decide(ClientSharing.Evolve(story.ClientState, recorded), story.PartnershipState, PoliceOfficer.AsViewer, RefugeWorkersInvolvement, Now, Options)!
            .Rule.ShouldBe(SharingRule.TeamMemberWithConsent);
    }

    [Fact]
    public void A_practitioner_records_consent_only_on_their_own_active_involvement_not_a_colleagues()
    {
        // Mo's organisation is on the team through Sam, but Mo has no involvement of their own.
        ConsentRecording.Decide(Team, ConsentToPolice(), SocialWorkersManager.Acting(), County, Now).ShouldBeRefused(ProblemKind.Forbidden);
    }

    [Fact]
    public void An_objection_outside_the_team_is_refused() =>
        ObjectionRecording.Decide(Team, new RecordObjection(TheClient, ObjectionId.New(), SharingScope.SectorNamed(Sector.Police)), Teacher.Acting(), County, Now)
            .ShouldBeRefused(ProblemKind.Forbidden);
}
