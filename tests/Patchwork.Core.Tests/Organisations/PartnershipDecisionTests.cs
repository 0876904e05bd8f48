using Patchwork.Core.Agreements;
using Patchwork.Core.Categories;
using Patchwork.Core.Tests.Access;
using static Patchwork.Core.Tests.Access.Cast;

namespace Patchwork.Core.Tests.Organisations;

public sealed class PartnershipDecisionTests
{
    private static readonly Partnership County = Story.CountyPartnership().PartnershipState;
    private static readonly Actor.Practitioner PartnershipAdmin = new(PractitionerId.New(), ChildrensSocialCare.Id, Roles.PartnershipAdmin);
    private static readonly Actor.Practitioner SchoolAdmin = new(PractitionerId.New(), HighSchool.Id, Roles.OrganisationAdmin);

    [Fact]
    public void Agreements_join_at_least_two_registered_organisations_for_sensible_dates()
    {
        var command = new MakeAgreement(AgreementId.New(), "Schools and police", [HighSchool.Id, Police.Id], CategoryScope.GeneralOnly, Today, null);
        Making.Decide(County, command, PartnershipAdmin, Now).ShouldSucceed();
        Making.Decide(County, command, SchoolAdmin, Now).ShouldBeRefused(ProblemKind.Forbidden);
        Making.Decide(County, command with { Members = [HighSchool.Id] }, PartnershipAdmin, Now).ShouldBeInvalid("members");
        Making.Decide(County, command with { Members = [HighSchool.Id, OrganisationId.New()] }, PartnershipAdmin, Now).ShouldBeInvalid("members");
        Making.Decide(County, command with { End = Today.AddDays(-1) }, PartnershipAdmin, Now).ShouldBeInvalid("end");
        Making.Decide(County, command with { Categories = CategoryScope.Only() }, PartnershipAdmin, Now).ShouldBeInvalid("categories");
    }

    [Fact]
    public void Ending_an_agreement_takes_effect_at_once_and_only_once()
    {
        var made = Making.Decide(County, new MakeAgreement(AgreementId.New(), "Schools and police", [HighSchool.Id, Police.Id], CategoryScope.GeneralOnly, Today, null), PartnershipAdmin, Now)
            .ShouldSucceed();
        var withAgreement = Partnership.Evolve(County, made);
        var ended = Agreements.Ending.Decide(withAgreement, new EndAgreement(made.Agreement), PartnershipAdmin, Now).ShouldSucceed();
        var after = Partnership.Evolve(withAgreement, ended);

        after.Agreements[made.Agreement].IsActive(Now).ShouldBeFalse();
        Agreements.Ending.Decide(after, new EndAgreement(made.Agreement), PartnershipAdmin, Now).ShouldBeRefused(ProblemKind.Conflict);
    }

    [Fact]
    public void A_category_added_is_sensitive_from_then_on_and_needs_naming()
    {
        var added = new CategoryAdded(Category.Named("  Gender   identity ", true).Value, ActedBy.From(PartnershipAdmin), Now);
        added.Category.Name.ShouldBe("gender identity");
        var after = Partnership.Evolve(County, added);

        after.Categories.IsSensitive(Category.Named("Gender Identity", false).Value).ShouldBeTrue();
        CategoryScope.GeneralOnly.Covers(added.Category, after.Categories.IsSensitive(added.Category)).ShouldBeFalse();
    }
}
