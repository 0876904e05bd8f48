using FsCheck;
using FsCheck.Fluent;
using Patchwork.Core.Access;
using Patchwork.Core.Agreements;
using Patchwork.Core.Consents;
using Patchwork.Core.Involvements;
using Patchwork.Core.Objections;
using Patchwork.Core.SharingWithoutConsent;
using static Patchwork.Core.Tests.Access.Cast;

namespace Patchwork.Core.Tests.Access;

/// <summary>
/// Properties of the policy over random histories. Each history is generated from a seed, so a failure reports
/// a seed that replays it exactly.
/// </summary>
public sealed class AccessPolicyProperties
{
    private static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(400);

    private static readonly Arbitrary<RandomHistory> Histories =
        Arb.From(Gen.Choose(0, int.MaxValue).Select(RandomHistory.Generate));

    private static readonly ActedBy Admin = new(ChildrensSocialCare.Id, null, null);

    private static void Holds(Func<RandomHistory, bool> property) => Check.One(Runs, Prop.ForAll(Histories, property));

    [Fact]
    public void Withdrawing_every_consent_leaves_nothing_visible_through_consent() => Holds(history =>
    {
        var withdrawn = history.Client.Consents.Values.Where(c => c.WithdrawnAt is null)
            .Aggregate(history, (h, c) => h.Then(new ConsentWithdrawn(c.Id, TheClient, Admin, h.Now.AddSeconds(-1))));
        return withdrawn.View().Visible.All(v => v.Rule != SharingRule.TeamMemberWithConsent)
            && withdrawn.Visible.IsSubsetOf(history.Visible);
    });

    [Fact]
    public void Once_every_consent_and_basis_has_expired_nothing_is_visible_through_rule_2() => Holds(history =>
    {
        var expired = history with
        {
            Facts = [.. history.Facts.Select(e => e switch
            {
                ConsentRecorded c => c with { ExpiresAt = history.Now.AddSeconds(-1) },
                SharingWithoutConsentRequested b => b with { ExpiresAt = history.Now.AddSeconds(-1) },
                _ => e,
            })],
        };
        return expired.VisibleThroughRule2.IsEmpty && expired.Visible.IsSubsetOf(history.Visible);
    });

    [Fact]
    public void An_objection_leaves_only_general_involvements_visible_through_sharing_without_consent() => Holds(history =>
    {
        var objected = history.Then(new ObjectionRecorded(
            new ObjectionId(Guid.NewGuid()), TheClient, SharingScope.OrganisationNamed(history.Viewer.Organisation), Admin, history.Now.AddSeconds(-1)));
        var categories = objected.PartnershipState.Categories;
        return objected.View().Visible.All(v =>
                v.Rule != SharingRule.TeamMemberWithConsent
                && (v.Rule != SharingRule.TeamMemberWithSharingWithoutConsent || !categories.IsSensitive(v.Involvement.Category)))
            && objected.Visible.IsSubsetOf(history.Visible);
    });

    [Fact]
    public void Ending_the_viewers_own_involvements_ends_rule_2_masking_and_revealed_contacts() => Holds(history =>
    {
        var ended = history.ViewersOwnActiveInvolvements.Aggregate(history, (h, i) =>
            h.Then(new InvolvementEnded(i.Id, TheClient, Calendar.Today(h.Now) < i.Start ? i.Start : Calendar.Today(h.Now), Admin, h.Now)));
        var view = ended.View();
        return view.Masked.IsEmpty
            && view.Visible.All(v => v.Rule is SharingRule.OwnOrganisation or SharingRule.BreakGlass)
            && ended.Visible.IsSubsetOf(history.Visible);
    });

    [Fact]
    public void An_involvement_ended_long_enough_ago_is_never_visible_through_rule_2() => Holds(history =>
    {
        // Everyone else's involvement ends exactly the window's length ago; the viewer's own stay as they were.
        var lastVisibleDay = Calendar.Today(history.Now).AddDays(-Options.EndedVisibilityDays);
        var own = history.ViewersOwnActiveInvolvements.Select(i => i.Id).ToHashSet();
        var others = history.Facts.OfType<InvolvementRecorded>().Where(i => !own.Contains(i.Involvement)).Select(i => i.Involvement).ToHashSet();
        var stale = history with
        {
            Facts = [.. history.Facts.Select(e => e is InvolvementRecorded i && others.Contains(i.Involvement) && i.Start > lastVisibleDay ? i with { Start = lastVisibleDay } : e)],
            FollowUps = [.. history.FollowUps.Where(e => e is not InvolvementEnded ended || !others.Contains(ended.Involvement))
                .Concat(others.Select(i => new InvolvementEnded(i, TheClient, lastVisibleDay, Admin, history.Now)))],
        };
        return stale.View().Visible.Where(v => others.Contains(v.Involvement.Id))
            .All(v => v.Rule is SharingRule.OwnOrganisation or SharingRule.BreakGlass);
    });

    [Fact]
    public void Any_single_withdrawal_expiry_objection_or_ending_never_shows_more() => Holds(history =>
    {
        var client = history.Client;
        var removals = new List<RandomHistory>();
        removals.AddRange(client.Consents.Values.Select(c => history.Then(new ConsentWithdrawn(c.Id, TheClient, Admin, history.Now.AddSeconds(-1)))));
        removals.AddRange(client.Involvements.Values.Where(i => i.IsActive).Select(i => history.Then(
            new InvolvementEnded(i.Id, TheClient, i.Start > Calendar.Today(history.Now) ? i.Start : Calendar.Today(history.Now), Admin, history.Now))));
        removals.AddRange(history.PartnershipState.Agreements.Keys.Select(a => history with
        {
            Partnership = history.Partnership.Add(new AgreementEnded(a, Admin, history.Now.AddSeconds(-1))),
        }));
        removals.Add(history.Then(new ObjectionRecorded(
            new ObjectionId(Guid.NewGuid()), TheClient, SharingScope.SectorNamed(history.ViewerSector!.Value), Admin, history.Now.AddSeconds(-1))));
        return removals.All(after => after.Visible.IsSubsetOf(history.Visible) && after.VisibleThroughRule2.IsSubsetOf(history.VisibleThroughRule2));
    });

    [Fact]
    public void Adding_a_consent_never_hides_anything() => Holds(history =>
    {
        var random = new Random(history.Seed);
        var scope = random.Next(2) == 0
            ? SharingScope.OrganisationNamed(Agencies[random.Next(Agencies.Count)].Id)
            : SharingScope.SectorNamed(Agencies[random.Next(Agencies.Count)].Sector);
        var consented = history with
        {
            Facts = history.Facts.Add(new ConsentRecorded(
                new ConsentId(Guid.NewGuid()), TheClient, scope, CategoryScope.GeneralAnd(Category.SexualHealth), ConsentGiver.Client,
                new ConsentEvidence(EvidenceKind.Verbal, null), null, Admin, history.Now.AddSeconds(-1))),
        };
        return history.Visible.IsSubsetOf(consented.Visible);
    });

    [Fact]
    public void A_viewer_always_sees_their_own_organisations_involvements() => Holds(history =>
        history.Client.Involvements.Values.Where(i => i.Organisation == history.Viewer.Organisation)
            .All(i => history.View().Visible.Any(v => v.Involvement.Id == i.Id && v.Rule == SharingRule.OwnOrganisation)));

    [Fact]
    public void Masked_entries_carry_no_identifying_field() => Holds(history =>
    {
        var client = history.Client;
        var partnership = history.PartnershipState;
        var secrets = client.Involvements.Values
            .SelectMany(i => new[] { i.Id.Value, i.Organisation.Value, i.Practitioner?.Value ?? Guid.Empty })
            .Append(TheClient.Value)
            .SelectMany(id => new[] { id.ToString("N"), id.ToString("D") })
            .Concat(Category.WellKnown.Select(c => c.Name))
            .ToList();
        return history.View().Masked.All(m =>
            secrets.All(s => !m.Handle.Value.Contains(s, StringComparison.OrdinalIgnoreCase))
            && AccessPolicy.Unmask(client, partnership, history.Viewer, m.Handle, history.Now, Options) is { } id
            && client.Involvements[id] is { Undisclosed: false } hidden
            && partnership.Categories.IsSensitive(hidden.Category)
            && hidden.Organisation != history.Viewer.Organisation);
    });

    [Fact]
    public void Unrelated_events_in_any_order_give_the_same_decision() => Holds(history =>
    {
        var random = new Random(history.Seed);
        var otherClient = new ClientId(Guid.NewGuid());
        var noise = RandomHistory.Generate(history.Seed ^ 0x5A5A5A5A).Facts
            .OfType<InvolvementRecorded>().Select(object (e) => e with { Client = otherClient });
        var shuffled = history with
        {
            Facts = [.. history.Facts.Concat(noise).OrderBy(_ => random.Next())],
            FollowUps = [.. history.FollowUps.OrderBy(_ => random.Next())],
            Partnership = [.. history.Partnership.OrderBy(e => e is AgreementEnded).ThenBy(_ => random.Next())],
        };
        return Same(history.View(), shuffled.View()) && history.Decisions.SequenceEqual(shuffled.Decisions, DecisionComparer.Instance);
    });

    [Fact]
    public void The_random_histories_exercise_every_rule_and_every_reason()
    {
        var decisions = Enumerable.Range(0, 400).SelectMany(seed => RandomHistory.Generate(seed).Decisions).ToList();

        decisions.Select(d => d.Rule).Distinct().Order().ShouldBe(Enum.GetValues<SharingRule>());
        decisions.SelectMany(d => d.HiddenBecause).Distinct().Order().ShouldBe(Enum.GetValues<HiddenBecause>());
        decisions.Count(d => d.Rule is SharingRule.TeamMemberWithConsent or SharingRule.TeamMemberWithSharingWithoutConsent).ShouldBeGreaterThan(60);
    }

    private static bool Same(TeamView one, TeamView other) =>
        one.Visible.Select(v => (v.Involvement, v.Rule)).SequenceEqual(other.Visible.Select(v => (v.Involvement, v.Rule)))
        && one.Masked.SequenceEqual(other.Masked);

    private sealed class DecisionComparer : IEqualityComparer<AccessDecision>
    {
        public static readonly DecisionComparer Instance = new();

        public bool Equals(AccessDecision? x, AccessDecision? y) =>
            x is not null && y is not null && x.Involvement == y.Involvement && x.Rule == y.Rule && x.HiddenBecause.SequenceEqual(y.HiddenBecause);

        public int GetHashCode(AccessDecision obj) => obj.Involvement.GetHashCode();
    }
}
