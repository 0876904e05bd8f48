using Patchwork.Core.Access;
using Patchwork.Core.Clients;
using Patchwork.Core.ContactRequests;
using static Patchwork.Core.Tests.Access.Cast;
using static Patchwork.Core.Tests.Access.Story;

namespace Patchwork.Core.Tests.Access;

/// <summary>One named scenario (at least) per rule and refinement of DESIGN.md §3.</summary>
public sealed class AccessPolicyScenarios
{
    // Rule 1: own organisation.
    [Fact]
    public void A_practitioner_sees_their_own_organisations_involvements_without_any_consent() =>
        Policy.Given(ClientWithSocialWorkerAndPolice().Involving(PoliceColleague, PoliceColleaguesInvolvement, "neighbourhood officer"))
            .SeenBy(PoliceOfficer)
            .ShouldInclude(PoliceColleaguesInvolvement, because: SharingRule.OwnOrganisation)
            .ShouldNotInclude(SocialWorkersInvolvement);

    [Fact]
    public void Own_organisation_needs_no_legitimate_relationship_of_ones_own() =>
        Policy.Given(ClientWithSocialWorkerAndPolice())
            .SeenBy(PoliceColleague)
            .ShouldInclude(PoliceOfficersInvolvement, because: SharingRule.OwnOrganisation);

    [Fact]
    public void Own_organisation_sees_its_sensitive_and_undisclosed_involvements() =>
        Policy.Given(ClientWithSocialWorkerAndPolice().WithRefugeWorkerUndisclosed())
            .SeenBy(RefugeCharity.PartnerSystem)
            .ShouldInclude(RefugeWorkersInvolvement, because: SharingRule.OwnOrganisation);

    // Rule 2: team member with a basis.
    [Fact]
    public void A_team_member_with_organisation_consent_sees_the_other_agencys_involvement() =>
        Policy.Given(ClientWithSocialWorkerAndPolice().ConsentTo(Police))
            .SeenBy(PoliceOfficer)
            .ShouldInclude(SocialWorkersInvolvement, because: SharingRule.TeamMemberWithConsent);

    [Fact]
    public void Consent_withdrawal_hides_the_involvement_from_the_other_agency() =>
        Policy.Given(ClientWithSocialWorkerAndPolice().ConsentTo(Police).Withdrawn())
            .SeenBy(PoliceOfficer)
            .ShouldNotIncludeBecause(SocialWorkersInvolvement, HiddenBecause.NoSharingBasis);

    [Fact]
    public void Consent_to_one_organisation_does_not_reach_another_of_the_same_sector() =>
        Policy.Given(ClientWithSocialWorkerAndPolice().Involving(TransportPoliceOfficer, TransportPoliceInvolvement, "BTP officer").ConsentTo(Police))
            .SeenBy(TransportPoliceOfficer)
            .ShouldNotIncludeBecause(SocialWorkersInvolvement, HiddenBecause.NoSharingBasis);

    [Fact]
    public void A_team_member_with_sector_consent_sees_the_involvement() =>
        Policy.Given(ClientWithSocialWorkerAndPolice().Involving(TransportPoliceOfficer, TransportPoliceInvolvement, "BTP officer").ConsentTo(Sector.Police))
            .SeenBy(TransportPoliceOfficer)
            .ShouldInclude(SocialWorkersInvolvement, because: SharingRule.TeamMemberWithConsent)
            .ShouldInclude(PoliceOfficersInvolvement, because: SharingRule.TeamMemberWithConsent);

    [Fact]
    public void Consent_to_another_sector_gives_nothing() =>
        Policy.Given(ClientWithSocialWorkerAndPolice().ConsentTo(Sector.Health))
            .SeenBy(PoliceOfficer)
            .ShouldNotInclude(SocialWorkersInvolvement);

    [Fact]
    public void A_consent_that_does_not_name_a_sensitive_category_does_not_cover_it() =>
        Policy.Given(ClientWithSocialWorkerPoliceAndSexualHealthNurse().ConsentTo(Police))
            .SeenBy(PoliceOfficer)
            .ShouldInclude(SocialWorkersInvolvement)
            .ShouldShowMasked(SexualHealthNursesInvolvement);

    [Fact]
    public void A_consent_naming_the_sensitive_category_covers_it() =>
        Policy.Given(ClientWithSocialWorkerPoliceAndSexualHealthNurse().ConsentTo(Police, Category.SexualHealth))
            .SeenBy(PoliceOfficer)
            .ShouldInclude(SexualHealthNursesInvolvement, because: SharingRule.TeamMemberWithConsent)
            .ShouldInclude(SocialWorkersInvolvement);

    [Fact]
    public void A_consent_naming_another_sensitive_category_does_not_cover_this_one() =>
        Policy.Given(ClientWithSocialWorkerPoliceAndSexualHealthNurse().ConsentTo(Police, Category.MentalHealth))
            .SeenBy(PoliceOfficer)
            .ShouldShowMasked(SexualHealthNursesInvolvement);

    [Fact]
    public void A_consent_for_a_sensitive_category_only_does_not_cover_general() =>
        Policy.Given(ClientWithSocialWorkerPoliceAndSexualHealthNurse().ConsentOnlyTo(Police, Category.SexualHealth))
            .SeenBy(PoliceOfficer)
            .ShouldInclude(SexualHealthNursesInvolvement)
            .ShouldNotInclude(SocialWorkersInvolvement);

    [Fact]
    public void Sharing_without_consent_covers_general_categories() =>
        Policy.Given(ClientWithSocialWorkerPoliceAndSexualHealthNurse().SharingWithoutConsentApproved())
            .SeenBy(PoliceOfficer)
            .ShouldInclude(SocialWorkersInvolvement, because: SharingRule.TeamMemberWithSharingWithoutConsent);

    [Fact]
    public void Sharing_without_consent_never_covers_a_sensitive_category() =>
        Policy.Given(ClientWithSocialWorkerPoliceAndSexualHealthNurse().SharingWithoutConsentApproved())
            .SeenBy(PoliceOfficer)
            .ShouldShowMasked(SexualHealthNursesInvolvement);

    [Fact]
    public void Sharing_without_consent_awaiting_a_managers_approval_shares_nothing() =>
        Policy.Given(ClientWithSocialWorkerAndPolice().SharingWithoutConsentAwaitingApproval())
            .SeenBy(PoliceOfficer)
            .ShouldNotIncludeBecause(SocialWorkersInvolvement, HiddenBecause.NoSharingBasis);

    [Fact]
    public void Expired_sharing_without_consent_shares_nothing() =>
        Policy.Given(ClientWithSocialWorkerAndPolice().SharingWithoutConsentExpired())
            .SeenBy(PoliceOfficer)
            .ShouldNotIncludeBecause(SocialWorkersInvolvement, HiddenBecause.NoSharingBasis);

    [Fact]
    public void An_objection_to_the_viewers_organisation_blocks_consent() =>
        Policy.Given(ClientWithSocialWorkerAndPolice().ConsentTo(Police).ObjectionTo(Police))
            .SeenBy(PoliceOfficer)
            .ShouldNotIncludeBecause(SocialWorkersInvolvement, HiddenBecause.Objection);

    [Fact]
    public void An_objection_to_the_viewers_sector_blocks_consent() =>
        Policy.Given(ClientWithSocialWorkerAndPolice().ConsentTo(Police).ObjectionTo(Sector.Police))
            .SeenBy(PoliceOfficer)
            .ShouldNotIncludeBecause(SocialWorkersInvolvement, HiddenBecause.Objection);

    [Fact]
    public void An_objection_to_another_organisation_does_not_block() =>
        Policy.Given(ClientWithSocialWorkerAndPolice().ConsentTo(Police).ObjectionTo(HighSchool))
            .SeenBy(PoliceOfficer)
            .ShouldInclude(SocialWorkersInvolvement, because: SharingRule.TeamMemberWithConsent);

    [Fact]
    public void Sharing_without_consent_overrides_an_objection_for_general_categories() =>
        Policy.Given(ClientWithSocialWorkerAndPolice().ObjectionTo(Police).SharingWithoutConsentApproved())
            .SeenBy(PoliceOfficer)
            .ShouldInclude(SocialWorkersInvolvement, because: SharingRule.TeamMemberWithSharingWithoutConsent);

    [Fact]
    public void Sharing_without_consent_does_not_override_an_objection_for_a_sensitive_category() =>
        Policy.Given(ClientWithSocialWorkerPoliceAndSexualHealthNurse().ConsentTo(Police, Category.SexualHealth).ObjectionTo(Police).SharingWithoutConsentApproved())
            .SeenBy(PoliceOfficer)
            .ShouldInclude(SocialWorkersInvolvement, because: SharingRule.TeamMemberWithSharingWithoutConsent)
            .ShouldNotIncludeBecause(SexualHealthNursesInvolvement, HiddenBecause.Objection);

    [Fact]
    public void Without_an_agreement_nothing_flows_even_with_consent() =>
        Policy.Given(ClientWithSocialWorkerAndPolice().ConsentTo(Police).WithoutAgreement())
            .SeenBy(PoliceOfficer)
            .ShouldNotIncludeBecause(SocialWorkersInvolvement, HiddenBecause.NoActiveAgreement);

    [Fact]
    public void When_the_agreement_ends_nothing_flows() =>
        Policy.Given(ClientWithSocialWorkerAndPolice().ConsentTo(Police).AgreementEnded())
            .SeenBy(PoliceOfficer)
            .ShouldNotIncludeBecause(SocialWorkersInvolvement, HiddenBecause.NoActiveAgreement);

    [Fact]
    public void An_agreement_past_its_last_day_shares_nothing() =>
        Policy.Given(ClientWithSocialWorkerAndPolice().ConsentTo(Police).AgreementLastDay(Today.AddDays(-1)))
            .SeenBy(PoliceOfficer)
            .ShouldNotIncludeBecause(SocialWorkersInvolvement, HiddenBecause.NoActiveAgreement);

    [Fact]
    public void An_agreement_still_shares_on_its_last_day() =>
        Policy.Given(ClientWithSocialWorkerAndPolice().ConsentTo(Police).AgreementLastDay(Today))
            .SeenBy(PoliceOfficer)
            .ShouldInclude(SocialWorkersInvolvement);

    [Fact]
    public void An_agreement_not_yet_started_shares_nothing() =>
        Policy.Given(ClientWithSocialWorkerAndPolice().ConsentTo(Police).AgreementStarting(Today.AddDays(1)))
            .SeenBy(PoliceOfficer)
            .ShouldNotIncludeBecause(SocialWorkersInvolvement, HiddenBecause.NoActiveAgreement);

    [Fact]
    public void An_agreement_must_cover_the_category_too() =>
        Policy.Given(ClientWithSocialWorkerPoliceAndSexualHealthNurse().ConsentTo(Police, Category.SexualHealth).AgreementCoveringGeneralOnly())
            .SeenBy(PoliceOfficer)
            .ShouldInclude(SocialWorkersInvolvement)
            .ShouldNotIncludeBecause(SexualHealthNursesInvolvement, HiddenBecause.AgreementDoesNotCoverCategory)
            .ShouldShowMasked(SexualHealthNursesInvolvement);

    [Fact]
    public void An_expired_consent_shares_nothing() =>
        Policy.Given(ClientWithSocialWorkerAndPolice().ConsentTo(Police).Expired())
            .SeenBy(PoliceOfficer)
            .ShouldNotIncludeBecause(SocialWorkersInvolvement, HiddenBecause.NoSharingBasis);

    [Fact]
    public void A_consent_expiring_tomorrow_still_shares_today_and_not_after() =>
        Policy.Given(ClientWithSocialWorkerAndPolice().ConsentTo(Police).ExpiringTomorrow())
            .SeenBy(PoliceOfficer)
            .ShouldInclude(SocialWorkersInvolvement);

    [Fact]
    public void Expiry_is_decided_at_read_time() =>
        Policy.Given(ClientWithSocialWorkerAndPolice().ConsentTo(Police).ExpiringTomorrow().At(Now.AddDays(2)))
            .SeenBy(PoliceOfficer)
            .ShouldNotInclude(SocialWorkersInvolvement);

    [Fact]
    public void An_involvement_ended_89_days_ago_is_still_shared() =>
        Policy.Given(ClientWithSocialWorkerAndPolice().ConsentTo(Police).Ended(SocialWorkersInvolvement, daysAgo: 89))
            .SeenBy(PoliceOfficer)
            .ShouldInclude(SocialWorkersInvolvement, because: SharingRule.TeamMemberWithConsent);

    [Fact]
    public void An_involvement_ended_90_days_ago_is_no_longer_shared() =>
        Policy.Given(ClientWithSocialWorkerAndPolice().ConsentTo(Police).Ended(SocialWorkersInvolvement, daysAgo: 90))
            .SeenBy(PoliceOfficer)
            .ShouldNotIncludeBecause(SocialWorkersInvolvement, HiddenBecause.EndedTooLongAgo);

    [Fact]
    public void An_involvement_ended_91_days_ago_is_no_longer_shared() =>
        Policy.Given(ClientWithSocialWorkerAndPolice().ConsentTo(Police).Ended(SocialWorkersInvolvement, daysAgo: 91))
            .SeenBy(PoliceOfficer)
            .ShouldNotIncludeBecause(SocialWorkersInvolvement, HiddenBecause.EndedTooLongAgo);

    [Fact]
    public void The_ended_visibility_window_is_configurable()
    {
        var story = ClientWithSocialWorkerAndPolice().ConsentTo(Police).Ended(SocialWorkersInvolvement, daysAgo: 31);
        var decision = AccessPolicy.Decide(
            story.ClientState, story.PartnershipState, PoliceOfficer.AsViewer, SocialWorkersInvolvement, Now, Options with { EndedVisibilityDays = 30 });
        decision!.HiddenBecause.ShouldBe([HiddenBecause.EndedTooLongAgo]);
    }

    // Rule 3: break-glass.
    [Fact]
    public void An_active_break_glass_grant_shows_everything_including_sensitive_and_undisclosed() =>
        Policy.Given(ClientWithSocialWorkerPoliceAndSexualHealthNurse().WithRefugeWorkerUndisclosed().Ended(PoliceOfficersInvolvement, daysAgo: 400).BreakGlass(Teacher))
            .SeenBy(Teacher)
            .ShouldInclude(SocialWorkersInvolvement, because: SharingRule.BreakGlass)
            .ShouldInclude(PoliceOfficersInvolvement, because: SharingRule.BreakGlass)
            .ShouldInclude(SexualHealthNursesInvolvement, because: SharingRule.BreakGlass)
            .ShouldInclude(RefugeWorkersInvolvement, because: SharingRule.BreakGlass);

    [Fact]
    public void An_expired_break_glass_grant_shows_nothing() =>
        Policy.Given(ClientWithSocialWorkerPoliceAndSexualHealthNurse().BreakGlassExpired(Teacher))
            .SeenBy(Teacher)
            .ShouldSeeNothing();

    [Fact]
    public void Break_glass_is_only_named_when_no_other_rule_would_have_shown_it() =>
        Policy.Given(ClientWithSocialWorkerPoliceAndSexualHealthNurse().ConsentTo(Police).BreakGlass(PoliceOfficer))
            .SeenBy(PoliceOfficer)
            .ShouldInclude(SocialWorkersInvolvement, because: SharingRule.TeamMemberWithConsent)
            .ShouldInclude(SexualHealthNursesInvolvement, because: SharingRule.BreakGlass);

    [Fact]
    public void A_grant_to_one_practitioner_shows_nothing_to_their_colleague() =>
        Policy.Given(ClientWithSocialWorkerAndPolice().BreakGlass(PoliceOfficer))
            .SeenBy(PoliceColleague)
            .ShouldNotInclude(SocialWorkersInvolvement);

    [Fact]
    public void A_partner_system_never_breaks_glass_even_when_its_practitioner_has() =>
        Policy.Given(ClientWithSocialWorkerAndPolice().BreakGlass(PoliceOfficer))
            .SeenBy(Police.PartnerSystem)
            .ShouldNotInclude(SocialWorkersInvolvement);

    // Refinement 4: search.
    [Fact]
    public void A_practitioner_with_no_involvement_sees_no_team_and_no_masked_entry_even_with_consent() =>
        Policy.Given(ClientWithSocialWorkerPoliceAndSexualHealthNurse().ConsentTo(HighSchool).ConsentTo(Sector.Education))
            .SeenBy(Teacher)
            .ShouldSeeNothing()
            .ShouldNotIncludeBecause(SocialWorkersInvolvement, HiddenBecause.NoLegitimateRelationship);

    [Fact]
    public void A_search_shows_a_match_but_never_the_team()
    {
        var match = SearchMatch.Of(TheClient, "Alex", "Smith", new DateOnly(2011, 3, 4), "SW1A 1AA");

        match.ShouldBe(new SearchMatch(TheClient, "Alex", "Smith", 2011, "SW1A"));
        typeof(SearchMatch).GetProperties().Select(p => p.PropertyType)
            .ShouldBe([typeof(ClientId), typeof(string), typeof(string), typeof(int), typeof(string)], ignoreOrder: true);
    }

    // Refinement 5: ending your own involvement.
    [Fact]
    public void Ending_your_own_involvement_ends_your_legitimate_relationship_at_once() =>
        Policy.Given(ClientWithSocialWorkerPoliceAndSexualHealthNurse().ConsentTo(Police).PoliceOfficerEndedTheirInvolvement())
            .SeenBy(PoliceOfficer)
            .ShouldNotIncludeBecause(SocialWorkersInvolvement, HiddenBecause.NoLegitimateRelationship)
            .ShouldNotShowMasked(SexualHealthNursesInvolvement)
            .ShouldInclude(PoliceOfficersInvolvement, because: SharingRule.OwnOrganisation);

    [Fact]
    public void A_colleagues_involvement_is_not_your_legitimate_relationship() =>
        Policy.Given(ClientWithSocialWorkerAndPolice().ConsentTo(Police))
            .SeenBy(PoliceColleague)
            .ShouldNotIncludeBecause(SocialWorkersInvolvement, HiddenBecause.NoLegitimateRelationship);

    // Refinement 6: masked sensitive involvements.
    [Fact]
    public void A_masked_entry_reveals_nothing_else()
    {
        var sight = Policy.Given(ClientWithSocialWorkerPoliceAndSexualHealthNurse().ConsentTo(Police)).SeenBy(PoliceOfficer);

        var masked = sight.View.Masked.ShouldHaveSingleItem();
        typeof(MaskedEntry).GetProperties().Select(p => p.Name).ShouldBe(["Handle"]);
        typeof(MaskedHandle).GetProperties().Select(p => p.Name).ShouldBe(["Value"]);
        foreach (var secret in Secrets(SexualHealthNursesInvolvement.Value, HealthTrust.Id.Value, SexualHealthNurse.Id.Value, TheClient.Value))
        {
            masked.Handle.Value.ShouldNotContain(secret, Case.Insensitive);
        }

        masked.Handle.Value.ShouldNotContain("sexual", Case.Insensitive);
        masked.Handle.Value.Length.ShouldBe(22);
    }

    [Fact]
    public void Masked_handles_are_stable_for_a_viewer_and_unrelated_between_viewers()
    {
        var story = ClientWithSocialWorkerPoliceAndSexualHealthNurse().Involving(Teacher, TeachersInvolvement, "head of year");
        var first = Policy.Given(story).SeenBy(PoliceOfficer).View.Masked.Single().Handle;
        var again = Policy.Given(story.At(Now.AddHours(1))).SeenBy(PoliceOfficer).View.Masked.Single().Handle;
        var teachers = Policy.Given(story).SeenBy(Teacher).View.Masked.Single().Handle;

        again.ShouldBe(first);
        teachers.ShouldNotBe(first);
    }

    [Fact]
    public void A_handle_cannot_be_used_by_another_viewer() =>
        Policy.Given(ClientWithSocialWorkerPoliceAndSexualHealthNurse().Involving(Teacher, TeachersInvolvement, "head of year"))
            .SeenBy(Teacher)
            .Unmask(Policy.Given(ClientWithSocialWorkerPoliceAndSexualHealthNurse()).SeenBy(PoliceOfficer).View.Masked.Single().Handle)
            .ShouldBeNull();

    [Fact]
    public void An_undisclosed_sensitive_involvement_is_not_even_masked() =>
        Policy.Given(ClientWithSocialWorkerAndPolice().WithRefugeWorkerUndisclosed().ConsentTo(Police, Category.DomesticAbuseSupport))
            .SeenBy(PoliceOfficer)
            .ShouldNotIncludeBecause(RefugeWorkersInvolvement, HiddenBecause.Undisclosed)
            .ShouldNotShowMasked(RefugeWorkersInvolvement)
            .ShouldInclude(SocialWorkersInvolvement);

    [Fact]
    public void A_general_involvement_that_is_hidden_is_not_masked_either() =>
        Policy.Given(ClientWithSocialWorkerAndPolice())
            .SeenBy(PoliceOfficer)
            .ShouldSeeNothingButOwn();

    [Fact]
    public void An_accepted_contact_request_reveals_the_involvement_to_the_requester_only() =>
        Policy.Given(ClientWithSocialWorkerPoliceAndSexualHealthNurse()
                .Involving(PoliceColleague, PoliceColleaguesInvolvement, "neighbourhood officer")
                .ContactRequest(PoliceOfficer, SexualHealthNursesInvolvement, ContactAnswer.Accepted))
            .SeenBy(PoliceOfficer)
            .ShouldInclude(SexualHealthNursesInvolvement, because: SharingRule.RevealedContact)
            .AndSeenBy(PoliceColleague)
            .ShouldShowMasked(SexualHealthNursesInvolvement)
            .AndSeenBy(Police.PartnerSystem)
            .ShouldShowMasked(SexualHealthNursesInvolvement);

    [Fact]
    public void A_declined_or_unanswered_contact_request_leaves_the_entry_masked() =>
        Policy.Given(ClientWithSocialWorkerPoliceAndSexualHealthNurse()
                .ContactRequest(PoliceOfficer, SexualHealthNursesInvolvement, ContactAnswer.Declined)
                .ContactRequest(PoliceOfficer, SexualHealthNursesInvolvement, answer: null))
            .SeenBy(PoliceOfficer)
            .ShouldShowMasked(SexualHealthNursesInvolvement);

    [Fact]
    public void A_revealed_contact_ends_when_the_requester_leaves_the_team() =>
        Policy.Given(ClientWithSocialWorkerPoliceAndSexualHealthNurse()
                .ContactRequest(PoliceOfficer, SexualHealthNursesInvolvement, ContactAnswer.Accepted)
                .PoliceOfficerEndedTheirInvolvement())
            .SeenBy(PoliceOfficer)
            .ShouldNotInclude(SexualHealthNursesInvolvement);

    // Partner systems.
    [Fact]
    public void A_partner_system_sees_the_organisation_view() =>
        Policy.Given(ClientWithSocialWorkerPoliceAndSexualHealthNurse().ConsentTo(Police))
            .SeenBy(Police.PartnerSystem)
            .ShouldInclude(PoliceOfficersInvolvement, because: SharingRule.OwnOrganisation)
            .ShouldInclude(SocialWorkersInvolvement, because: SharingRule.TeamMemberWithConsent)
            .ShouldShowMasked(SexualHealthNursesInvolvement);

    [Fact]
    public void A_partner_system_of_an_organisation_with_no_active_involvement_sees_only_its_own() =>
        Policy.Given(ClientWithSocialWorkerAndPolice().ConsentTo(Police).PoliceOfficerEndedTheirInvolvement())
            .SeenBy(Police.PartnerSystem)
            .ShouldNotIncludeBecause(SocialWorkersInvolvement, HiddenBecause.NoLegitimateRelationship)
            .ShouldInclude(PoliceOfficersInvolvement, because: SharingRule.OwnOrganisation);

    private static IEnumerable<string> Secrets(params Guid[] ids) =>
        ids.SelectMany(id => new[] { id.ToString("N"), id.ToString("D"), Convert.ToBase64String(id.ToByteArray()).TrimEnd('=') });
}
