using System.Collections.Immutable;
using Patchwork.Core.Agreements;
using Patchwork.Core.ContactRequests;
using Patchwork.Core.Involvements;

namespace Patchwork.Core.Access;

/// <summary>
/// DESIGN.md §3 as one pure function of the client's state, the partnership, the viewer and the instant. Every
/// channel (API, live feed, partner bus) asks here, so a withdrawal or expiry takes effect at the next read.
/// </summary>
public static class AccessPolicy
{
    /// <summary>The team of <paramref name="client"/> as <paramref name="viewer"/> may see it at <paramref name="now"/>.</summary>
    public static TeamView TeamOf(ClientSharing client, Partnership partnership, Viewer viewer, DateTimeOffset now, PolicyOptions options)
    {
        using var activity = PolicyTelemetry.Start("team");
        var context = new Context(client, partnership, viewer, now, options);
        var visible = ImmutableArray.CreateBuilder<VisibleInvolvement>();
        var masked = ImmutableArray.CreateBuilder<MaskedEntry>();
        var decisions = new List<AccessDecision>(client.Involvements.Count);
        foreach (var involvement in client.Involvements.Values.OrderBy(i => i.Start).ThenBy(i => i.Id.Value))
        {
            var decision = context.Decide(involvement);
            decisions.Add(decision);
            if (decision.IsVisible)
            {
                visible.Add(new VisibleInvolvement(involvement, decision.Rule));
            }
            else if (decision.Rule == SharingRule.Masked)
            {
                masked.Add(new MaskedEntry(options.MaskingKey.Mask(viewer, client.Client, involvement.Id)));
            }
        }

        PolicyTelemetry.Decided(activity, decisions);
        // Ordered by handle, not by recording, so the list's order says nothing about when each began.
        return new TeamView(client.Client, viewer, visible.ToImmutable(), [.. masked.OrderBy(m => m.Handle.Value, StringComparer.Ordinal)]);
    }

    /// <summary>The decision on every involvement of the client, hidden ones included, for the audit entry of a read.</summary>
    public static ImmutableArray<AccessDecision> DecideAll(ClientSharing client, Partnership partnership, Viewer viewer, DateTimeOffset now, PolicyOptions options)
    {
        using var activity = PolicyTelemetry.Start("decide-all");
        var context = new Context(client, partnership, viewer, now, options);
        return PolicyTelemetry.Decided(activity, [.. client.Involvements.Values.OrderBy(i => i.Start).ThenBy(i => i.Id.Value).Select(context.Decide)]);
    }

    /// <summary>Why one involvement is or is not visible to the viewer; null when the client has no such involvement.</summary>
    public static AccessDecision? Decide(ClientSharing client, Partnership partnership, Viewer viewer, InvolvementId involvement, DateTimeOffset now, PolicyOptions options)
    {
        if (!client.Involvements.TryGetValue(involvement, out var found)) return null;
        using var activity = PolicyTelemetry.Start("decide");
        var decision = new Context(client, partnership, viewer, now, options).Decide(found);
        PolicyTelemetry.Decided(activity, [decision]);
        return decision;
    }

    /// <summary>The involvement behind a handle, only while it is masked for this very viewer; otherwise null.</summary>
    public static InvolvementId? Unmask(ClientSharing client, Partnership partnership, Viewer viewer, MaskedHandle handle, DateTimeOffset now, PolicyOptions options)
    {
        var context = new Context(client, partnership, viewer, now, options);
        return client.Involvements.Values
            .Where(i => context.Decide(i).Rule == SharingRule.Masked && options.MaskingKey.Mask(viewer, client.Client, i.Id) == handle)
            .Select(i => (InvolvementId?)i.Id)
            .FirstOrDefault();
    }

    /// <summary>
    /// The consents and lawful bases a viewer may read, once <see cref="TeamOf"/> has shown it something of the client: the
    /// consents that name its organisation or its sector (withdrawn and expired ones too — they are its own history), and the
    /// approved bases of sharing without consent, which reach every team member. Objections are never listed (they would say
    /// why something is hidden, rule 11), nor a basis still awaiting a manager, nor any justification text.
    /// </summary>
    public static SharingBasesView SharingBasesOf(ClientSharing client, Partnership partnership, Viewer viewer)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(partnership);
        ArgumentNullException.ThrowIfNull(viewer);
        var sector = partnership.SectorOf(viewer.Organisation);
        return new SharingBasesView(
            [.. client.Consents.Values.Where(c => c.Scope.Names(viewer.Organisation, sector)).OrderBy(c => c.GivenAt).ThenBy(c => c.Id.Value)],
            [.. client.SharingWithoutConsent.Values.Where(b => b.ApprovedAt is not null).OrderBy(b => b.RequestedAt).ThenBy(b => b.Id.Value)]);
    }

    /// <summary>
    /// Who reviews a use of break-glass, and so may see it in a review queue: a data protection officer of the organisation
    /// whose practitioner broke glass (their own use included: the decision refuses that). Nobody else, partner systems never.
    /// </summary>
    public static bool MayReview(Actor actor, BreakGlass.BreakGlassGrant grant)
    {
        ArgumentNullException.ThrowIfNull(grant);
        return ReviewsBreakGlass(actor) && actor.Organisation == grant.Organisation;
    }

    /// <summary>Whether the actor has a break-glass review queue at all (their organisation's uses): a data protection officer.</summary>
    public static bool ReviewsBreakGlass(Actor? actor) => actor is Actor.Practitioner dpo && dpo.Holds(Roles.DataProtectionOfficer);

    /// <summary>The facts about the viewer that do not depend on the involvement, worked out once per read.</summary>
    private sealed class Context
    {
        private readonly Partnership partnership;
        private readonly Viewer viewer;
        private readonly DateOnly today;
        private readonly int endedVisibilityDays;
        private readonly bool legitimateRelationship;
        private readonly ImmutableArray<SharingAgreement> agreements;
        private readonly ImmutableArray<CategoryScope> consents;
        private readonly bool objection;
        private readonly bool sharingWithoutConsent;
        private readonly bool breakGlass;
        private readonly ImmutableHashSet<InvolvementId> revealed;

        public Context(ClientSharing client, Partnership partnership, Viewer viewer, DateTimeOffset now, PolicyOptions options)
        {
            this.partnership = partnership;
            this.viewer = viewer;
            today = Calendar.Today(now);
            endedVisibilityDays = options.EndedVisibilityDays;
            var organisation = viewer.Organisation;
            var sector = partnership.SectorOf(organisation);

            // Refinement 5: only an active involvement is a legitimate relationship; ending it ends the relationship at once.
            legitimateRelationship = client.Involvements.Values.Any(i => i.IsActive && i.Start <= today && viewer switch
            {
                Viewer.Practitioner p => i.Practitioner == p.Id && i.Organisation == p.Organisation,
                _ => i.Organisation == organisation,
            });
            agreements = [.. partnership.Agreements.Values.Where(a => a.IsActive(now) && a.Members.Contains(organisation))];
            consents = [.. client.Consents.Values.Where(c => c.IsInForce(now) && c.Scope.Names(organisation, sector)).Select(c => c.Categories)];
            objection = client.Objections.Values.Any(o => o.IsInForce(now) && o.Scope.Names(organisation, sector));
            sharingWithoutConsent = client.SharingWithoutConsent.Values.Any(b => b.IsInForce(now));
            breakGlass = viewer is Viewer.Practitioner me && client.Grants.Values.Any(g => g.Practitioner == me.Id && g.Organisation == me.Organisation && g.IsActive(now));
            revealed = viewer is Viewer.Practitioner requester
                ? [.. client.ContactRequests.Values.Where(r => r.Requester == requester.Id && r.RequesterOrganisation == requester.Organisation && r.Answer == ContactAnswer.Accepted)
                    .Select(r => r.Involvement)]
                : [];
        }

        public AccessDecision Decide(Involvement involvement)
        {
            if (involvement.Organisation == viewer.Organisation)
            {
                return Visible(involvement, SharingRule.OwnOrganisation);
            }

            var sensitive = partnership.Categories.IsSensitive(involvement.Category);
            var because = ImmutableArray.CreateBuilder<HiddenBecause>();
            if (!legitimateRelationship)
            {
                because.Add(HiddenBecause.NoLegitimateRelationship);
            }

            var joining = agreements.Where(a => a.Members.Contains(involvement.Organisation)).ToList();
            if (joining.Count == 0)
            {
                because.Add(HiddenBecause.NoActiveAgreement);
            }
            else if (!joining.Any(a => a.Categories.Covers(involvement.Category, sensitive)))
            {
                because.Add(HiddenBecause.AgreementDoesNotCoverCategory);
            }

            // Sharing without consent never covers a sensitive category, and only it overrides an objection.
            var consented = consents.Any(c => c.Covers(involvement.Category, sensitive));
            var withoutConsent = sharingWithoutConsent && !sensitive;
            SharingRule? basis = objection ? (withoutConsent ? SharingRule.TeamMemberWithSharingWithoutConsent : null)
                : consented ? SharingRule.TeamMemberWithConsent
                : withoutConsent ? SharingRule.TeamMemberWithSharingWithoutConsent
                : null;
            if (objection && basis is null)
            {
                because.Add(HiddenBecause.Objection);
            }

            if (!consented && !withoutConsent)
            {
                because.Add(HiddenBecause.NoSharingBasis);
            }

            var recentEnough = involvement.End is not { } end || today.DayNumber - end.DayNumber < endedVisibilityDays;
            if (!recentEnough)
            {
                because.Add(HiddenBecause.EndedTooLongAgo);
            }

            // Refinement 6: an undisclosed involvement is revealed by rules 1 and 3 only, whatever the consent says.
            if (involvement.Undisclosed)
            {
                because.Add(HiddenBecause.Undisclosed);
            }

            if (because.Count == 0 && basis is { } rule)
            {
                return Visible(involvement, rule);
            }

            // Refinement 6: what the sensitive practitioner chose to reveal, to this practitioner only, within the team.
            var withinTeam = legitimateRelationship && recentEnough && !involvement.Undisclosed && joining.Count > 0;
            if (withinTeam && revealed.Contains(involvement.Id))
            {
                return Visible(involvement, SharingRule.RevealedContact);
            }

            if (breakGlass)
            {
                return Visible(involvement, SharingRule.BreakGlass);
            }

            return new AccessDecision(involvement.Id, withinTeam && sensitive ? SharingRule.Masked : SharingRule.Hidden, because.ToImmutable());
        }

        private static AccessDecision Visible(Involvement involvement, SharingRule rule) => new(involvement.Id, rule, []);
    }
}
