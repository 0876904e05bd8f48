using Patchwork.Core.Access;
using Patchwork.Core.Attention;
using static Patchwork.Core.Tests.Access.Cast;
using static Patchwork.Core.Tests.Access.Story;

namespace Patchwork.Core.Tests.Access;

/// <summary>
/// The one decision both relays tell from (the live feed per practitioner, the partner bus per organisation): what an
/// event changed for a viewer, as the policy shows them before it, after it and now.
/// </summary>
public sealed class SharingChangesTests
{
    [Fact]
    public void A_consent_shows_the_social_workers_involvement_to_the_police_officer_and_the_police_and_its_withdrawal_takes_it_back_from_those_told_only()
    {
        var start = ClientWithSocialWorkerAndPolice();
        var told = new HashSet<(Viewer, InvolvementId)>();
        var consented = start.ConsentTo(Sector.Police);
        var withdrawn = consented.Withdrawn();

        Changes(start, consented, PoliceOfficer.AsViewer, told).ShouldBe([new(SharingChangeKind.BecameVisible, SocialWorkersInvolvement.Value)]);
        Changes(start, consented, Police.PartnerSystem, told).ShouldBe([new(SharingChangeKind.BecameVisible, SocialWorkersInvolvement.Value)]);
        // The social worker's own involvement is no news to them.
        Changes(start, consented, SocialWorker.AsViewer, told).ShouldBeEmpty();

        Changes(consented, withdrawn, PoliceOfficer.AsViewer, told).ShouldBe([new(SharingChangeKind.NoLongerShared, SocialWorkersInvolvement.Value)]);
        Changes(consented, withdrawn, Police.PartnerSystem, told).ShouldBe([new(SharingChangeKind.NoLongerShared, SocialWorkersInvolvement.Value)]);
        told.ShouldBeEmpty("each withdrawal forgot what it took back");
        // Someone who saw it but was never told of it hears nothing: the notice would itself disclose it.
        Changes(consented, withdrawn, PoliceOfficer.AsViewer, told).ShouldBeEmpty();
    }

    [Fact]
    public void Attention_is_told_to_everyone_on_the_team_and_their_organisations_but_not_to_whoever_raised_it()
    {
        var start = ClientWithSocialWorkerAndPolice();
        var raised = new AttentionRaised(new AttentionId(Guid.NewGuid()), TheClient, SocialWorker.Id, ChildrensSocialCare.Id, start.Now);
        var told = new HashSet<(Viewer, InvolvementId)>();

        Changes(start, raised, PoliceOfficer.AsViewer, told).ShouldBe([new(SharingChangeKind.AttentionRaised, raised.Attention.Value)]);
        Changes(start, raised, ChildrensSocialCare.PartnerSystem, told).ShouldBe([new(SharingChangeKind.AttentionRaised, raised.Attention.Value)]);
        Changes(start, raised, SocialWorker.AsViewer, told).ShouldBeEmpty();
        // An organisation with nobody on the team hears nothing.
        Changes(start, raised, HealthTrust.PartnerSystem, told).ShouldBeEmpty();
    }

    /// <summary>What the last event of <paramref name="after"/> changed for the viewer, with the story's end as "now".</summary>
    private static IReadOnlyList<SharingChange> Changes(Story before, Story after, Viewer viewer, HashSet<(Viewer, InvolvementId)> told) =>
        Changes(before, after.ClientEvents[^1], viewer, told, after.ClientState);

    private static IReadOnlyList<SharingChange> Changes(Story before, object @event, Viewer viewer, HashSet<(Viewer, InvolvementId)> told, ClientSharing? now = null)
    {
        var state = before.ClientState;
        var next = ClientSharing.Evolve(state, @event);
        return SharingChanges.For(@event, state, next, now ?? next, before.PartnershipState, viewer, before.Now, Options,
            new ToldInvolvements(i => told.Add((viewer, i)), i => told.Remove((viewer, i))));
    }
}
