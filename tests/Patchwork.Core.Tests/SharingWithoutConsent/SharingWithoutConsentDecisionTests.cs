using Patchwork.Core.SharingWithoutConsent;
using Patchwork.Core.Tests.Access;
using static Patchwork.Core.Tests.Access.Cast;

namespace Patchwork.Core.Tests.SharingWithoutConsent;

public sealed class SharingWithoutConsentDecisionTests
{
    private static readonly ClientSharing Team = Story.ClientWithSocialWorkerAndPolice().ClientState;

    private static RequestSharingWithoutConsent Request(string justification = "disclosure of harm at school", DateTimeOffset? expiresAt = null) =>
        new(TheClient, SharingWithoutConsentId.New(), LawfulBasis.SafeguardingChild, justification, expiresAt ?? Now.AddDays(90));

    private static (ClientSharing State, SharingWithoutConsentId Basis) Requested()
    {
        var requested = Requesting.Decide(Team, Request(), SocialWorker.Acting(), Now).ShouldSucceed();
        return (ClientSharing.Evolve(Team, requested), requested.Basis);
    }

    [Fact]
    public void A_justification_is_required() =>
        Requesting.Decide(Team, Request(justification: " "), SocialWorker.Acting(), Now).ShouldBeInvalid("justification");

    [Fact]
    public void It_must_expire_in_the_future_and_within_a_year()
    {
        Requesting.Decide(Team, Request(expiresAt: Now.AddMinutes(-1)), SocialWorker.Acting(), Now).ShouldBeInvalid("expiresAt");
        Requesting.Decide(Team, Request(expiresAt: Now.AddDays(400)), SocialWorker.Acting(), Now).ShouldBeInvalid("expiresAt");
    }

    [Fact]
    public void Only_a_practitioner_in_the_team_may_request_it()
    {
        Requesting.Decide(Team, Request(), Teacher.Acting(), Now).ShouldBeRefused(ProblemKind.Forbidden);
        Requesting.Decide(Team, Request(), new Actor.PartnerSystem(PartnerSystemId.New(), ChildrensSocialCare.Id), Now).ShouldBeRefused(ProblemKind.Forbidden);
    }

    [Fact]
    public void A_request_is_not_in_force_until_a_manager_of_the_requesting_organisation_approves_it()
    {
        var (state, basis) = Requested();
        state.SharingWithoutConsent[basis].IsInForce(Now).ShouldBeFalse();

        var approved = Approving.Decide(state, new ApproveSharingWithoutConsent(TheClient, basis), SocialWorkersManager.Acting(Roles.Manager), Now.AddHours(1)).ShouldSucceed();
        var after = ClientSharing.Evolve(state, approved);

        after.SharingWithoutConsent[basis].IsInForce(Now.AddHours(1)).ShouldBeTrue();
        after.SharingWithoutConsent[basis].ApprovedBy.ShouldBe(SocialWorkersManager.Id);
        Approving.Decide(after, new ApproveSharingWithoutConsent(TheClient, basis), SocialWorkersManager.Acting(Roles.Manager), Now).ShouldBeRefused(ProblemKind.Conflict);
    }

    [Fact]
    public void A_practitioner_who_is_not_a_manager_cannot_approve()
    {
        var (state, basis) = Requested();
        Approving.Decide(state, new ApproveSharingWithoutConsent(TheClient, basis), SocialWorkersManager.Acting(Roles.Practitioner), Now).ShouldBeRefused(ProblemKind.Forbidden);
    }

    [Fact]
    public void A_manager_of_another_organisation_cannot_approve()
    {
        var (state, basis) = Requested();
        Approving.Decide(state, new ApproveSharingWithoutConsent(TheClient, basis), PoliceOfficer.Acting(Roles.Manager), Now).ShouldBeRefused(ProblemKind.Forbidden);
    }

    [Fact]
    public void A_manager_cannot_approve_their_own_request()
    {
        var (state, basis) = Requested();
        Approving.Decide(state, new ApproveSharingWithoutConsent(TheClient, basis), SocialWorker.Acting(Roles.Practitioner | Roles.Manager), Now)
            .ShouldBeRefused(ProblemKind.Forbidden);
    }

    [Fact]
    public void An_expired_request_cannot_be_approved()
    {
        var (state, basis) = Requested();
        Approving.Decide(state, new ApproveSharingWithoutConsent(TheClient, basis), SocialWorkersManager.Acting(Roles.Manager), Now.AddDays(91))
            .ShouldBeRefused(ProblemKind.Conflict);
    }

    [Fact]
    public void Approving_an_unknown_request_is_not_found() =>
        Approving.Decide(Team, new ApproveSharingWithoutConsent(TheClient, SharingWithoutConsentId.New()), SocialWorkersManager.Acting(Roles.Manager), Now)
            .ShouldBeRefused(ProblemKind.NotFound);
}
