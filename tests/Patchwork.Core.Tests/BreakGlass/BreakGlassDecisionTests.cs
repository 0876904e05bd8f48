using Patchwork.Core.Attention;
using Patchwork.Core.BreakGlass;
using Patchwork.Core.Tests.Access;
using static Patchwork.Core.Tests.Access.Cast;

namespace Patchwork.Core.Tests.BreakGlass;

public sealed class BreakGlassDecisionTests
{
    private static readonly ClientSharing Team = Story.ClientWithSocialWorkerAndPolice().ClientState;

    [Fact]
    public void A_grant_lasts_four_hours_by_default_and_needs_no_involvement()
    {
        var granted = Granting.Decide(Team, new GrantBreakGlass(TheClient, GrantId.New(), "collapsed in A&E"), Teacher.Acting(), Now).ShouldSucceed();

        granted.ExpiresAt.ShouldBe(Now.AddHours(4));
        ClientSharing.Evolve(Team, granted).Grants[granted.Grant].IsActive(Now.AddHours(4)).ShouldBeFalse();
    }

    [Fact]
    public void A_justification_is_required() =>
        Granting.Decide(Team, new GrantBreakGlass(TheClient, GrantId.New(), ""), Teacher.Acting(), Now).ShouldBeInvalid("justification");

    [Fact]
    public void A_grant_is_short() =>
        Granting.Decide(Team, new GrantBreakGlass(TheClient, GrantId.New(), "why", TimeSpan.FromHours(13)), Teacher.Acting(), Now).ShouldBeInvalid("duration");

    [Fact]
    public void A_partner_system_cannot_break_glass() =>
        Granting.Decide(Team, new GrantBreakGlass(TheClient, GrantId.New(), "why"), new Actor.PartnerSystem(PartnerSystemId.New(), Police.Id), Now)
            .ShouldBeRefused(ProblemKind.Forbidden);

    [Fact]
    public void Attention_is_raised_by_a_team_member_only()
    {
        Raising.Decide(Team, new RaiseAttention(TheClient, AttentionId.New()), PoliceOfficer.Acting(), Now).ShouldSucceed().Practitioner.ShouldBe(PoliceOfficer.Id);
        Raising.Decide(Team, new RaiseAttention(TheClient, AttentionId.New()), Teacher.Acting(), Now).ShouldBeRefused(ProblemKind.Forbidden);
    }
}
