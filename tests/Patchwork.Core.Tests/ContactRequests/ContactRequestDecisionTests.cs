using Patchwork.Core.Access;
using Patchwork.Core.ContactRequests;
using Patchwork.Core.Tests.Access;
using static Patchwork.Core.Tests.Access.Cast;

namespace Patchwork.Core.Tests.ContactRequests;

public sealed class ContactRequestDecisionTests
{
    private static readonly Story Story = Access.Story.ClientWithSocialWorkerPoliceAndSexualHealthNurse().ConsentTo(Police);
    private static readonly ClientSharing Team = Story.ClientState;
    private static readonly Partnership County = Story.PartnershipState;

    private static MaskedHandle OfficersHandle => AccessPolicy.TeamOf(Team, County, PoliceOfficer.AsViewer, Now, Options).Masked.Single().Handle;

    private static (ClientSharing State, ContactRequested Requested) Asked()
    {
        var requested = Requesting.Decide(Team, new RequestContact(TheClient, ContactRequestId.New(), OfficersHandle), PoliceOfficer.Acting(), County, Options, Now)
            .ShouldSucceed();
        return (ClientSharing.Evolve(Team, requested), requested);
    }

    [Fact]
    public void A_request_through_a_masked_handle_reaches_the_sensitive_involvement()
    {
        var (_, requested) = Asked();
        requested.Involvement.ShouldBe(SexualHealthNursesInvolvement);
        requested.Requester.ShouldBe(PoliceOfficer.Id);
    }

    [Fact]
    public void An_unknown_handle_is_not_found() =>
        Requesting.Decide(Team, new RequestContact(TheClient, ContactRequestId.New(), new MaskedHandle("made-up")), PoliceOfficer.Acting(), County, Options, Now)
            .ShouldBeRefused(ProblemKind.NotFound);

    [Fact]
    public void Someone_elses_handle_is_not_found() =>
        Requesting.Decide(Team, new RequestContact(TheClient, ContactRequestId.New(), OfficersHandle), SocialWorker.Acting(), County, Options, Now)
            .ShouldBeRefused(ProblemKind.NotFound);

    [Fact]
    public void Asking_again_before_the_answer_is_a_conflict()
    {
        var (state, _) = Asked();
        Requesting.Decide(state, new RequestContact(TheClient, ContactRequestId.New(), OfficersHandle), PoliceOfficer.Acting(), County, Options, Now)
            .ShouldBeRefused(ProblemKind.Conflict);
    }

    [Fact]
    public void Only_the_sensitive_practitioner_answers()
    {
        var (state, requested) = Asked();
        var answer = new AnswerContactRequest(TheClient, requested.Request, ContactAnswer.Accepted);

        Answering.Decide(state, answer, new Actor.Practitioner(PractitionerId.New(), HealthTrust.Id, Roles.Manager), Now).ShouldBeRefused(ProblemKind.Forbidden);
        Answering.Decide(state, answer, new Actor.PartnerSystem(PartnerSystemId.New(), HealthTrust.Id), Now).ShouldBeRefused(ProblemKind.Forbidden);
        Answering.Decide(state, answer, PoliceOfficer.Acting(), Now).ShouldBeRefused(ProblemKind.Forbidden);
    }

    [Fact]
    public void Accepting_reveals_the_involvement_to_the_requester_and_is_answered_once()
    {
        var (state, requested) = Asked();
        var answered = Answering.Decide(state, new AnswerContactRequest(TheClient, requested.Request, ContactAnswer.Accepted), SexualHealthNurse.Acting(), Now)
            .ShouldSucceed();
        var after = ClientSharing.Evolve(state, answered);

        AccessPolicy.Decide(after, County, PoliceOfficer.AsViewer, SexualHealthNursesInvolvement, Now, Options)!.Rule.ShouldBe(SharingRule.RevealedContact);
        Answering.Decide(after, new AnswerContactRequest(TheClient, requested.Request, ContactAnswer.Declined), SexualHealthNurse.Acting(), Now)
            .ShouldBeRefused(ProblemKind.Conflict);
    }
}
