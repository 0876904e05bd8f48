using Patchwork.Core.BreakGlass;
using Patchwork.Core.Insight;
using Patchwork.Core.Tests.Access;
using static Patchwork.Core.Tests.Access.Cast;

namespace Patchwork.Core.Tests.BreakGlass;

/// <summary>A DPO of the practitioner's organisation reviews each use of break-glass once; to anyone else it does not exist.</summary>
public sealed class BreakGlassReviewTests
{
    private static readonly ClientSharing Team = Story.ClientWithSocialWorkerAndPolice().ClientState;

    private static (ClientSharing Client, GrantId Grant) TeacherBrokeGlass()
    {
        var granted = Granting.Decide(Team, new GrantBreakGlass(TheClient, GrantId.New(), "collapsed in class"), Teacher.Acting(), Now).ShouldSucceed();
        return (ClientSharing.Evolve(Team, granted), granted.Grant);
    }

    private static readonly Actor.Practitioner SchoolDpo = new(PractitionerId.New(), HighSchool.Id, Roles.DataProtectionOfficer);

    [Fact]
    public void The_DPO_of_the_practitioners_organisation_reviews_it_once_and_the_state_keeps_the_finding()
    {
        var (client, grant) = TeacherBrokeGlass();
        var reviewed = Reviewing.Decide(client, new ReviewBreakGlass(TheClient, grant, BreakGlassFinding.NotJustified), SchoolDpo, Now.AddHours(30)).ShouldSucceed();
        reviewed.ShouldBe(new BreakGlassReviewed(grant, TheClient, SchoolDpo.Id, HighSchool.Id, BreakGlassFinding.NotJustified, Now.AddHours(30)));

        var after = ClientSharing.Evolve(client, reviewed);
        after.Grants[grant].Review.ShouldBe(new BreakGlassReview(SchoolDpo.Id, BreakGlassFinding.NotJustified, Now.AddHours(30)));
        Reviewing.Decide(after, new ReviewBreakGlass(TheClient, grant, BreakGlassFinding.Justified), SchoolDpo, Now.AddHours(31)).ShouldBeRefused(ProblemKind.Conflict);
    }

    [Fact]
    public void Anyone_else_is_told_there_is_no_such_use_and_nobody_reviews_their_own()
    {
        var (client, grant) = TeacherBrokeGlass();
        var review = new ReviewBreakGlass(TheClient, grant, BreakGlassFinding.Justified);
        Reviewing.Decide(client, review, Teacher.Acting(), Now).ShouldBeRefused(ProblemKind.NotFound);
        Reviewing.Decide(client, review, Teacher.Acting(Roles.Manager), Now).ShouldBeRefused(ProblemKind.NotFound);
        Reviewing.Decide(client, review, new Actor.Practitioner(PractitionerId.New(), Police.Id, Roles.DataProtectionOfficer), Now).ShouldBeRefused(ProblemKind.NotFound);
        Reviewing.Decide(client, review, new Actor.PartnerSystem(PartnerSystemId.New(), HighSchool.Id), Now).ShouldBeRefused(ProblemKind.NotFound);
        Reviewing.Decide(client, review with { Grant = GrantId.New() }, SchoolDpo, Now).ShouldBeRefused(ProblemKind.NotFound);
        Reviewing.Decide(client, review, Teacher.Acting(Roles.Practitioner | Roles.DataProtectionOfficer), Now).ShouldBeRefused(ProblemKind.Forbidden);
    }

    [Fact]
    public void The_insight_fold_counts_the_review_for_the_practitioners_organisation_with_the_minutes_it_took()
    {
        var fold = new InsightClient { Id = TheClient.Value };
        var grant = GrantId.New();
        InsightLedger.Apply(fold, new BreakGlassGranted(grant, TheClient, Teacher.Id, HighSchool.Id, Now.AddHours(4), Now), EventChannel.Web);
        var tallies = InsightLedger.Apply(fold, new BreakGlassReviewed(grant, TheClient, SchoolDpo.Id, HighSchool.Id, BreakGlassFinding.Justified, Now.AddMinutes(150)),
            EventChannel.Web);
        tallies.ShouldBe(
        [
            new Tally(HighSchool.Id.Value, InsightMonth.MonthOf(Now.AddMinutes(150)), InsightMeasure.BreakGlassReviewed),
            new Tally(InsightLedger.Partnership, InsightMonth.MonthOf(Now.AddMinutes(150)), InsightMeasure.BreakGlassReviewed),
            new Tally(HighSchool.Id.Value, InsightMonth.MonthOf(Now.AddMinutes(150)), InsightMeasure.MinutesToBreakGlassReview, 150),
            new Tally(InsightLedger.Partnership, InsightMonth.MonthOf(Now.AddMinutes(150)), InsightMeasure.MinutesToBreakGlassReview, 150),
        ], ignoreOrder: true);
        InsightLedger.Apply(fold, new BreakGlassReviewed(grant, TheClient, SchoolDpo.Id, HighSchool.Id, BreakGlassFinding.Justified, Now.AddMinutes(200)),
            EventChannel.Web).ShouldBeEmpty("a grant is counted as reviewed once");
    }
}
