using Patchwork.Core.Access;

namespace Patchwork.Core.Tests.Access;

/// <summary>The Given / When / Then of access policy scenarios.</summary>
public static class Policy
{
    public static Scenario Given(Story story) => new(story);

    public sealed record Scenario(Story Story)
    {
        public Sight SeenBy(Member member) => SeenBy(member.AsViewer);

        public Sight SeenBy(Viewer viewer)
        {
            var client = Story.ClientState;
            var partnership = Story.PartnershipState;
            return new Sight(
                AccessPolicy.TeamOf(client, partnership, viewer, Story.Now, Cast.Options),
                id => AccessPolicy.Decide(client, partnership, viewer, id, Story.Now, Cast.Options)!,
                handle => AccessPolicy.Unmask(client, partnership, viewer, handle, Story.Now, Cast.Options))
            {
                Story = this,
            };
        }
    }

    public sealed record Sight(TeamView View, Func<InvolvementId, AccessDecision> Decision, Func<MaskedHandle, InvolvementId?> Unmask)
    {
        public Scenario Story { get; init; } = null!;

        public Sight AndSeenBy(Member member) => Story.SeenBy(member);

        public Sight AndSeenBy(Viewer viewer) => Story.SeenBy(viewer);

        public Sight ShouldSeeNothingButOwn()
        {
            View.Visible.ShouldAllBe(v => v.Rule == SharingRule.OwnOrganisation);
            View.Masked.ShouldBeEmpty();
            return this;
        }

        public Sight ShouldInclude(InvolvementId involvement, SharingRule? because = null)
        {
            var seen = View.Visible.SingleOrDefault(v => v.Involvement.Id == involvement);
            seen.ShouldNotBeNull($"the viewer should see it, but it is {Decision(involvement).Rule} because {string.Join(", ", Decision(involvement).HiddenBecause)}");
            if (because is { } rule)
            {
                seen.Rule.ShouldBe(rule);
            }

            return this;
        }

        public Sight ShouldNotInclude(InvolvementId involvement)
        {
            View.Visible.ShouldNotContain(v => v.Involvement.Id == involvement, $"the viewer should not see it, but it was shown by {Decision(involvement).Rule}");
            Decision(involvement).IsVisible.ShouldBeFalse();
            return this;
        }

        public Sight ShouldNotIncludeBecause(InvolvementId involvement, HiddenBecause reason)
        {
            ShouldNotInclude(involvement);
            Decision(involvement).HiddenBecause.ShouldContain(reason);
            return this;
        }

        public Sight ShouldShowMasked(InvolvementId involvement)
        {
            ShouldNotInclude(involvement);
            Decision(involvement).Rule.ShouldBe(SharingRule.Masked);
            View.Masked.Count(m => Unmask(m.Handle) == involvement).ShouldBe(1);
            return this;
        }

        public Sight ShouldNotShowMasked(InvolvementId involvement)
        {
            View.Masked.ShouldNotContain(m => Unmask(m.Handle) == involvement);
            return this;
        }

        public Sight ShouldSeeNothing()
        {
            View.Visible.ShouldBeEmpty();
            View.Masked.ShouldBeEmpty();
            return this;
        }
    }
}
