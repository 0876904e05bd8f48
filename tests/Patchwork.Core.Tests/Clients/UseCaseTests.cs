using Patchwork.Core.Attention;
using Patchwork.Core.BreakGlass;
using Patchwork.Core.Clients;
using Patchwork.Core.Consents;
using Patchwork.Core.ContactRequests;
using Patchwork.Core.Involvements;
using Patchwork.Core.Objections;
using Patchwork.Core.SharingWithoutConsent;
using Patchwork.Core.Tests.Access;
using static Patchwork.Core.Tests.Access.Cast;
using ConsentRecording = Patchwork.Core.Consents.Recording;
using InvolvementRecording = Patchwork.Core.Involvements.Recording;
using ObjectionRecording = Patchwork.Core.Objections.Recording;

namespace Patchwork.Core.Tests.Clients;

/// <summary>
/// What each slice's use case tells the write pipeline to check, whichever door carries it out: an act on an involvement
/// must be one the actor sees, only recording an involvement and break-glass (granting, reviewing) are open to anyone who
/// found the client, and every other act needs the actor to see something of the client. A door cannot set these itself.
/// </summary>
public sealed class UseCaseTests
{
    private static readonly Actor By = SocialWorker.Acting();

    private static IEnumerable<(string Name, string Action, InvolvementId? Involvement, bool OpenToAnyone)> Every()
    {
        static (string, string, InvolvementId?, bool) Of<T>(string name, ClientUseCase<T> useCase) where T : notnull =>
            (name, useCase.Action, useCase.Involvement, useCase.OpenToAnyone);
        yield return Of("raise attention", Raising.UseCase(new RaiseAttention(TheClient, AttentionId.New()), By));
        yield return Of("request contact", Core.ContactRequests.Requesting.UseCase(TheClient, ContactRequestId.New(), "handle", By, Options));
        yield return Of("answer contact", Answering.UseCase(new AnswerContactRequest(TheClient, ContactRequestId.New(), ContactAnswer.Accepted), By));
        yield return Of("record involvement", InvolvementRecording.UseCase(TheClient, _ => Problem.Invalid("start", "is required"), By));
        yield return Of("end involvement", Ending.UseCase(TheClient, PoliceOfficersInvolvement, null, By));
        yield return Of("change involvement", ChangingRoleOrContact.UseCase(new ChangeRoleOrContact(TheClient, PoliceOfficersInvolvement, "role", null), By));
        yield return Of("record consent", ConsentRecording.UseCase(TheClient, _ => Problem.Invalid("scope", "is required"), By));
        yield return Of("withdraw consent", Core.Consents.Withdrawing.UseCase(new WithdrawConsent(TheClient, ConsentId.New()), By));
        yield return Of("record objection", ObjectionRecording.UseCase(TheClient, ObjectionId.New(), Problem.Invalid("scope", "is required"), By));
        yield return Of("withdraw objection", Core.Objections.Withdrawing.UseCase(new WithdrawObjection(TheClient, ObjectionId.New()), By));
        yield return Of("request sharing without consent", Core.SharingWithoutConsent.Requesting.UseCase(TheClient, SharingWithoutConsentId.New(),
            LawfulBasis.SafeguardingChild, "why", Now.AddMonths(3), By));
        yield return Of("approve sharing without consent", Approving.UseCase(new ApproveSharingWithoutConsent(TheClient, SharingWithoutConsentId.New()), By));
        yield return Of("grant break-glass", Granting.UseCase(TheClient, GrantId.New(), "why", null, By));
        yield return Of("review break-glass", Reviewing.UseCase(TheClient, GrantId.New(), BreakGlassFinding.Justified, By));
    }

    [Fact]
    public void Only_recording_an_involvement_and_break_glass_are_open_to_anyone_who_found_the_client() =>
        Every().Where(u => u.OpenToAnyone).Select(u => u.Name).ShouldBe(["record involvement", "grant break-glass", "review break-glass"], ignoreOrder: true);

    [Fact]
    public void Acts_on_an_involvement_name_it_so_the_policy_must_show_it_to_the_actor() =>
        Every().Where(u => u.Involvement is not null).Select(u => (u.Name, u.Involvement)).ShouldBe(
            [("end involvement", PoliceOfficersInvolvement), ("change involvement", PoliceOfficersInvolvement)], ignoreOrder: true);

    [Fact]
    public void Every_use_case_has_an_audit_action_of_its_own() =>
        Every().Select(u => u.Action).Distinct().Count().ShouldBe(Every().Count());

    [Fact]
    public void Ending_with_no_date_ends_today_in_the_partnerships_calendar()
    {
        var story = Story.ClientWithSocialWorkerAndPolice();
        var ended = Ending.UseCase(TheClient, SocialWorkersInvolvement, null, SocialWorker.Acting()).Decide(story.ClientState, story.PartnershipState, Now);

        ended.ShouldSucceed().End.ShouldBe(Today);
    }

    [Fact]
    public void A_justification_is_kept_under_the_id_its_event_names()
    {
        var grant = GrantId.New();
        Granting.UseCase(TheClient, grant, "child at risk tonight", null, By).Justification.ShouldBe((grant.Value, "child at risk tonight"));
        var basis = SharingWithoutConsentId.New();
        Core.SharingWithoutConsent.Requesting.UseCase(TheClient, basis, LawfulBasis.SafeguardingChild, "why", Now.AddMonths(3), By).Justification
            .ShouldBe((basis.Value, "why"));
    }

    [Fact]
    public void A_field_a_door_could_not_read_is_refused_by_the_decision_after_the_policy_has_run()
    {
        var story = Story.ClientWithSocialWorkerAndPolice();
        Core.SharingWithoutConsent.Requesting.UseCase(TheClient, SharingWithoutConsentId.New(), null, "why", Now.AddMonths(3), By)
            .Decide(story.ClientState, story.PartnershipState, Now).ShouldBeInvalid("lawfulBasis");
        Reviewing.UseCase(TheClient, GrantId.New(), null, By).Decide(story.ClientState, story.PartnershipState, Now).ShouldBeInvalid("finding");
        Core.ContactRequests.Requesting.UseCase(TheClient, ContactRequestId.New(), " ", By, Options)
            .Decide(story.ClientState, story.PartnershipState, Now).ShouldBeInvalid("handle");
    }
}
