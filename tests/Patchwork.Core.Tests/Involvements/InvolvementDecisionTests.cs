using Patchwork.Core.Involvements;
using Patchwork.Core.Tests.Access;
using static Patchwork.Core.Tests.Access.Cast;

namespace Patchwork.Core.Tests.Involvements;

public sealed class InvolvementDecisionTests
{
    private static readonly ClientSharing Team = Story.ClientWithSocialWorkerPoliceAndSexualHealthNurse().ClientState;

    private static readonly ContactRoute Desk = new("01632 960123", "duty@example.org");

    private static RecordInvolvement TeachersRecord(DateOnly? start = null, string role = "head of year", Category? category = null, bool undisclosed = false) =>
        new(TheClient, InvolvementId.New(), role, null, category ?? Category.General, start ?? Today, Desk, undisclosed);

    [Fact]
    public void Recording_puts_the_acting_practitioner_in_the_team()
    {
        var recorded = Recording.Decide(Team, TeachersRecord(), Teacher.Acting(), CategoryList.WellKnown, Now).ShouldSucceed();

        recorded.Practitioner.ShouldBe(Teacher.Id);
        recorded.By.Organisation.ShouldBe(HighSchool.Id);
        recorded.At.ShouldBe(Now);
        ClientSharing.Evolve(Team, recorded).Involvements[recorded.Involvement].IsActive.ShouldBeTrue();
    }

    [Fact]
    public void A_start_in_the_future_is_refused() =>
        Recording.Decide(Team, TeachersRecord(start: Today.AddDays(1)), Teacher.Acting(), CategoryList.WellKnown, Now).ShouldBeInvalid("start");

    [Fact]
    public void Today_is_the_partnerships_local_date_not_utcs()
    {
        var justAfterMidnightInLondon = new DateTimeOffset(2025, 6, 3, 0, 30, 0, TimeSpan.FromHours(1));
        Recording.Decide(Team, TeachersRecord(start: new DateOnly(2025, 6, 3)), Teacher.Acting(), CategoryList.WellKnown, justAfterMidnightInLondon).ShouldSucceed();
    }

    [Fact]
    public void A_role_is_required() =>
        Recording.Decide(Team, TeachersRecord(role: "  "), Teacher.Acting(), CategoryList.WellKnown, Now).ShouldBeInvalid("role");

    [Fact]
    public void The_category_must_be_the_partnerships() =>
        Recording.Decide(Team, TeachersRecord(category: Category.Named("astrology", false).Value), Teacher.Acting(), CategoryList.WellKnown, Now)
            .ShouldBeInvalid("category");

    [Fact]
    public void Only_a_sensitive_involvement_can_be_undisclosed() =>
        Recording.Decide(Team, TeachersRecord(undisclosed: true), Teacher.Acting(), CategoryList.WellKnown, Now).ShouldBeInvalid("undisclosed");

    [Fact]
    public void A_contact_route_is_required() =>
        Recording.Decide(Team, TeachersRecord() with { Contact = new ContactRoute(null, " ") }, Teacher.Acting(), CategoryList.WellKnown, Now)
            .ShouldBeInvalid("contact");

    [Fact]
    public void A_malformed_email_is_refused() =>
        Recording.Decide(Team, TeachersRecord() with { Contact = new ContactRoute(null, "terry at school") }, Teacher.Acting(), CategoryList.WellKnown, Now)
            .ShouldBeInvalid("contact");

    [Fact]
    public void A_practitioner_already_in_the_team_cannot_join_twice() =>
        Recording.Decide(Team, TeachersRecord(), SocialWorker.Acting(), CategoryList.WellKnown, Now).ShouldBeRefused(ProblemKind.Conflict);

    [Fact]
    public void The_same_involvement_cannot_be_recorded_twice() =>
        Recording.Decide(Team, TeachersRecord() with { Involvement = SocialWorkersInvolvement }, Teacher.Acting(), CategoryList.WellKnown, Now)
            .ShouldBeRefused(ProblemKind.Conflict);

    [Fact]
    public void A_practitioner_cannot_record_on_behalf_of_someone_else() =>
        Recording.Decide(Team, TeachersRecord() with { OnBehalfOf = SocialWorker.Id }, Teacher.Acting(), CategoryList.WellKnown, Now)
            .ShouldBeInvalid("onBehalfOf");

    [Fact]
    public void Only_someone_with_the_practitioner_role_records_an_involvement() =>
        Recording.Decide(Team, TeachersRecord(), Teacher.Acting(Roles.DataProtectionOfficer | Roles.Manager), CategoryList.WellKnown, Now)
            .ShouldBeRefused(ProblemKind.Forbidden);

    [Fact]
    public void A_partner_system_records_for_a_practitioner_or_a_duty_team()
    {
        var system = new Actor.PartnerSystem(PartnerSystemId.New(), HighSchool.Id);

        Recording.Decide(Team, TeachersRecord() with { OnBehalfOf = Teacher.Id }, system, CategoryList.WellKnown, Now, HighSchool.Id)
            .ShouldSucceed().Practitioner.ShouldBe(Teacher.Id);
        Recording.Decide(Team, TeachersRecord(), system, CategoryList.WellKnown, Now).ShouldSucceed().Practitioner.ShouldBeNull();
    }

    [Fact]
    public void A_partner_system_acts_only_for_its_own_organisations_practitioners()
    {
        var system = new Actor.PartnerSystem(PartnerSystemId.New(), HighSchool.Id);

        // Rule 14: the police officer works for another organisation; someone the directory does not know works for none.
        Recording.Decide(Team, TeachersRecord() with { OnBehalfOf = PoliceOfficer.Id }, system, CategoryList.WellKnown, Now, Police.Id).ShouldBeInvalid("onBehalfOf");
        Recording.Decide(Team, TeachersRecord() with { OnBehalfOf = PractitionerId.New() }, system, CategoryList.WellKnown, Now, null).ShouldBeInvalid("onBehalfOf");
    }

    [Fact]
    public void Ending_cannot_be_before_the_start() =>
        Ending.Decide(Team, new EndInvolvement(TheClient, SocialWorkersInvolvement, Today.AddDays(-31)), SocialWorker.Acting(), Now).ShouldBeInvalid("end");

    [Fact]
    public void Ending_cannot_be_in_the_future() =>
        Ending.Decide(Team, new EndInvolvement(TheClient, SocialWorkersInvolvement, Today.AddDays(1)), SocialWorker.Acting(), Now).ShouldBeInvalid("end");

    [Fact]
    public void Ending_today_ends_the_involvement_at_once()
    {
        var ended = Ending.Decide(Team, new EndInvolvement(TheClient, SocialWorkersInvolvement, Today), SocialWorker.Acting(), Now).ShouldSucceed();
        ClientSharing.Evolve(Team, ended).Involvements[SocialWorkersInvolvement].IsActive.ShouldBeFalse();
    }

    [Fact]
    public void Another_organisation_cannot_end_an_involvement() =>
        Ending.Decide(Team, new EndInvolvement(TheClient, SocialWorkersInvolvement, Today), PoliceOfficer.Acting(Roles.Manager), Now)
            .ShouldBeRefused(ProblemKind.Forbidden);

    [Fact]
    public void A_colleague_cannot_end_it_but_their_manager_can()
    {
        var colleague = new Actor.Practitioner(PractitionerId.New(), ChildrensSocialCare.Id, Roles.Practitioner);
        Ending.Decide(Team, new EndInvolvement(TheClient, SocialWorkersInvolvement, Today), colleague, Now).ShouldBeRefused(ProblemKind.Forbidden);
        Ending.Decide(Team, new EndInvolvement(TheClient, SocialWorkersInvolvement, Today), SocialWorkersManager.Acting(Roles.Manager), Now).ShouldSucceed();
    }

    [Fact]
    public void An_involvement_ends_once()
    {
        var ended = Story.ClientWithSocialWorkerAndPolice().Ended(SocialWorkersInvolvement, 3).ClientState;
        Ending.Decide(ended, new EndInvolvement(TheClient, SocialWorkersInvolvement, Today), SocialWorker.Acting(), Now).ShouldBeRefused(ProblemKind.Conflict);
    }

    [Fact]
    public void Ending_an_unknown_involvement_is_not_found() =>
        Ending.Decide(Team, new EndInvolvement(TheClient, InvolvementId.New(), Today), SocialWorker.Acting(), Now).ShouldBeRefused(ProblemKind.NotFound);

    [Fact]
    public void Changing_the_contact_route_keeps_the_role()
    {
        var changed = ChangingRoleOrContact.Decide(Team, new ChangeRoleOrContact(TheClient, SocialWorkersInvolvement, null, Desk), SocialWorker.Acting(), Now).ShouldSucceed();
        changed.Role.ShouldBe("allocated social worker");
        ClientSharing.Evolve(Team, changed).Involvements[SocialWorkersInvolvement].Contact.ShouldBe(Desk);
    }

    [Fact]
    public void A_change_that_changes_nothing_is_refused() =>
        ChangingRoleOrContact.Decide(Team, new ChangeRoleOrContact(TheClient, SocialWorkersInvolvement, "allocated social worker", null), SocialWorker.Acting(), Now)
            .ShouldBeInvalid("role");

    [Fact]
    public void A_blank_new_role_is_refused() =>
        ChangingRoleOrContact.Decide(Team, new ChangeRoleOrContact(TheClient, SocialWorkersInvolvement, "", null), SocialWorker.Acting(), Now).ShouldBeInvalid("role");

    [Fact]
    public void Only_the_sensitive_practitioner_marks_their_involvement_undisclosed()
    {
        var command = new WithholdInvolvement(TheClient, SexualHealthNursesInvolvement, true);
        Withholding.Decide(Team, command, SexualHealthNurse.Acting(), CategoryList.WellKnown, Now).ShouldSucceed();
        Withholding.Decide(Team, command, new Actor.Practitioner(PractitionerId.New(), HealthTrust.Id, Roles.Manager), CategoryList.WellKnown, Now)
            .ShouldBeRefused(ProblemKind.Forbidden);
        Withholding.Decide(Team, command with { Involvement = SocialWorkersInvolvement }, SocialWorker.Acting(), CategoryList.WellKnown, Now).ShouldBeInvalid("undisclosed");
    }
}
