using System.Collections.Immutable;
using Patchwork.Core.Agreements;
using Patchwork.Core.Categories;
using Patchwork.Core.Organisations;
using Patchwork.Core.Practitioners;
using Patchwork.Core.Tests.Access;
using static Patchwork.Core.Tests.Access.Cast;
using OrganisationRegistering = Patchwork.Core.Organisations.Registering;
using PractitionerRegistering = Patchwork.Core.Practitioners.Registering;

namespace Patchwork.Core.Tests.Organisations;

public sealed class PartnershipDecisionTests
{
    private static readonly Partnership County = Story.CountyPartnership().PartnershipState;
    private static readonly Actor.Practitioner PartnershipAdmin = new(PractitionerId.New(), ChildrensSocialCare.Id, Roles.PartnershipAdmin);
    private static readonly Actor.Practitioner SchoolAdmin = new(PractitionerId.New(), HighSchool.Id, Roles.OrganisationAdmin);

    [Fact]
    public void A_partnership_administrator_registers_an_organisation()
    {
        var registered = OrganisationRegistering.Decide(County, new RegisterOrganisation(OrganisationId.New(), "Shire Housing", Sector.Housing, "rx1", null), PartnershipAdmin, Now)
            .ShouldSucceed();
        registered.OdsCode.ShouldBe("RX1");
        Partnership.Evolve(County, registered).SectorOf(registered.Organisation).ShouldBe(Sector.Housing);
    }

    [Fact]
    public void Registering_an_organisation_is_checked()
    {
        var command = new RegisterOrganisation(OrganisationId.New(), "Shire Housing", Sector.Housing, null, null);
        OrganisationRegistering.Decide(County, command, SchoolAdmin, Now).ShouldBeRefused(ProblemKind.Forbidden);
        OrganisationRegistering.Decide(County, command with { Name = "" }, PartnershipAdmin, Now).ShouldBeInvalid("name");
        OrganisationRegistering.Decide(County, command with { OdsCode = "R-1" }, PartnershipAdmin, Now).ShouldBeInvalid("odsCode");
        OrganisationRegistering.Decide(County, command with { Name = Police.Name }, PartnershipAdmin, Now).ShouldBeRefused(ProblemKind.Conflict);
        OrganisationRegistering.Decide(County, command with { Organisation = Police.Id }, PartnershipAdmin, Now).ShouldBeRefused(ProblemKind.Conflict);
    }

    [Fact]
    public void An_organisation_administrator_registers_their_own_practitioners_only()
    {
        var command = new RegisterPractitioner(PractitionerId.New(), HighSchool.Id, "Terry", "Teacher", new ContactRoute("01632 960111", null), Roles.Practitioner);
        PractitionerRegistering.Decide(null, command, SchoolAdmin, County, Now).ShouldSucceed();
        PractitionerRegistering.Decide(null, command with { Organisation = Police.Id }, SchoolAdmin, County, Now).ShouldBeRefused(ProblemKind.Forbidden);
        PractitionerRegistering.Decide(null, command with { Roles = Roles.PartnershipAdmin }, SchoolAdmin, County, Now).ShouldBeRefused(ProblemKind.Forbidden);
        PractitionerRegistering.Decide(null, command with { Roles = Roles.None }, SchoolAdmin, County, Now).ShouldBeInvalid("roles");
        // Rule 13: no role the admin does not hold; the DPO role is the partnership's to grant.
        PractitionerRegistering.Decide(null, command with { Roles = Roles.Manager }, SchoolAdmin, County, Now).ShouldBeRefused(ProblemKind.Forbidden);
        PractitionerRegistering.Decide(null, command with { Roles = Roles.DataProtectionOfficer }, SchoolAdmin, County, Now).ShouldBeRefused(ProblemKind.Forbidden);
        PractitionerRegistering.Decide(null, command with { Roles = Roles.OrganisationAdmin }, SchoolAdmin, County, Now).ShouldSucceed();
        PractitionerRegistering.Decide(null, command with { Roles = Roles.DataProtectionOfficer }, PartnershipAdmin, County, Now).ShouldSucceed();
        PractitionerRegistering.Decide(null, command with { JobTitle = " " }, SchoolAdmin, County, Now).ShouldBeInvalid("jobTitle");
    }

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
    public void Administrators_add_sensitive_categories_which_then_need_naming()
    {
        var added = Adding.Decide(County, new AddCategory("  Gender   identity ", IsSensitive: true), PartnershipAdmin, Now).ShouldSucceed();
        added.Category.Name.ShouldBe("gender identity");
        var after = Partnership.Evolve(County, added);

        after.Categories.IsSensitive(Category.Named("Gender Identity", false).Value).ShouldBeTrue();
        Adding.Decide(after, new AddCategory("GENDER IDENTITY", true), PartnershipAdmin, Now).ShouldBeRefused(ProblemKind.Conflict);
        Adding.Decide(after, new AddCategory(" ", true), PartnershipAdmin, Now).ShouldBeInvalid("category");
        Adding.Decide(after, new AddCategory("x", true), SchoolAdmin, Now).ShouldBeRefused(ProblemKind.Forbidden);
        CategoryScope.GeneralOnly.Covers(added.Category, after.Categories.IsSensitive(added.Category)).ShouldBeFalse();
        _ = ImmutableHashSet<Category>.Empty;
    }
}
