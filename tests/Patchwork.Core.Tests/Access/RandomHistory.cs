using System.Collections.Immutable;
using Patchwork.Core.Access;
using Patchwork.Core.Agreements;
using Patchwork.Core.BreakGlass;
using Patchwork.Core.Consents;
using Patchwork.Core.ContactRequests;
using Patchwork.Core.Involvements;
using Patchwork.Core.Objections;
using Patchwork.Core.Organisations;
using Patchwork.Core.SharingWithoutConsent;
using static Patchwork.Core.Tests.Access.Cast;

namespace Patchwork.Core.Tests.Access;

/// <summary>
/// A random but well-formed history of one client in the county partnership, and a random viewer. Facts come
/// first (recorded, made, granted), follow-ups after (withdrawn, ended, approved, answered), as the log orders them.
/// </summary>
public sealed record RandomHistory(
    int Seed,
    ImmutableList<object> Partnership,
    ImmutableList<object> Facts,
    ImmutableList<object> FollowUps,
    Viewer Viewer,
    DateTimeOffset Now)
{
    private static readonly ActedBy Admin = new(ChildrensSocialCare.Id, null, null);

    private static readonly Category[] Categories = [Category.General, Category.General, Category.SexualHealth, Category.MentalHealth];

    public static readonly IReadOnlyList<Member> Staff =
        [.. Agencies.SelectMany(a => Enumerable.Range(1, 2).Select(n => new Member($"{a.Name} practitioner {n}", a)))];

    public ClientSharing Client => ClientSharing.From(TheClient, Facts.Concat(FollowUps));

    public Core.Partnership PartnershipState => Core.Partnership.From(Partnership);

    public TeamView View(PolicyOptions? options = null) => AccessPolicy.TeamOf(Client, PartnershipState, Viewer, Now, options ?? Options);

    public ImmutableArray<AccessDecision> Decisions => AccessPolicy.DecideAll(Client, PartnershipState, Viewer, Now, Options);

    public ImmutableHashSet<InvolvementId> Visible => [.. View().Visible.Select(v => v.Involvement.Id)];

    public ImmutableHashSet<InvolvementId> VisibleThroughRule2 =>
        [.. View().Visible.Where(v => v.Rule is SharingRule.TeamMemberWithConsent or SharingRule.TeamMemberWithSharingWithoutConsent).Select(v => v.Involvement.Id)];

    public RandomHistory Then(object followUp) => this with { FollowUps = FollowUps.Add(followUp) };

    public Sector? ViewerSector => Agencies.Single(a => a.Id == Viewer.Organisation).Sector;

    public IEnumerable<Involvement> ViewersOwnActiveInvolvements => Client.Involvements.Values.Where(i => i.IsActive && Viewer switch
    {
        Viewer.Practitioner p => i.Practitioner == p.Id,
        _ => i.Organisation == Viewer.Organisation,
    });

    public static RandomHistory Generate(int seed)
    {
        var random = new Random(seed);
        var now = Cast.Now.AddMinutes(random.Next(-100_000, 100_000));
        var today = Calendar.Today(now);
        var partnership = ImmutableList.CreateBuilder<object>();
        var facts = ImmutableList.CreateBuilder<object>();
        var followUps = ImmutableList.CreateBuilder<object>();
        Guid NewId() => new([.. Enumerable.Range(0, 16).Select(_ => (byte)random.Next(256))]);
        T Pick<T>(IReadOnlyList<T> from) => from[random.Next(from.Count)];
        bool Chance(double p) => random.NextDouble() < p;
        ActedBy By(Member m) => new(m.Agency.Id, m.Id, null);
        CategoryScope Scope() =>
            new CategoryScope(Chance(0.8), [.. Categories.Where(c => c.IsSensitive && Chance(0.3))]) is { IsEmpty: false } scope ? scope : CategoryScope.GeneralOnly;
        SharingScope Naming() => Chance(0.6) ? SharingScope.OrganisationNamed(Pick(Agencies).Id) : SharingScope.SectorNamed(Pick(Agencies).Sector);
        DateTimeOffset? Expiry() => Chance(0.5) ? null : now.AddHours(random.Next(-2000, 2000));

        partnership.AddRange(Agencies.Select(a => new OrganisationRegistered(a.Id, a.Name, a.Sector, null, null, Admin, now.AddYears(-3))));
        for (var n = Chance(0.1) ? 0 : random.Next(1, 4); n > 0; n--)
        {
            var members = Agencies.Where(_ => Chance(0.8)).Select(a => a.Id).ToImmutableHashSet();
            var start = today.AddDays(random.Next(-400, 20));
            var agreement = new AgreementMade(
                new AgreementId(NewId()), "agreement", members.Count >= 2 ? members : [.. Agencies.Select(a => a.Id)], Scope(),
                start, Chance(0.5) ? null : start.AddDays(random.Next(0, 600)), Admin, now.AddYears(-2));
            partnership.Add(agreement);
            if (Chance(0.15))
            {
                partnership.Add(new AgreementEnded(agreement.Agreement, Admin, now.AddHours(random.Next(-500, 500))));
            }
        }

        var involvements = new List<InvolvementRecorded>();
        for (var n = random.Next(1, 9); n > 0; n--)
        {
            var member = Pick(Staff);
            var category = Pick(Categories);
            var start = today.AddDays(-random.Next(0, 500));
            var recorded = new InvolvementRecorded(
                Named.Involvement($"{seed}/{n}"), TheClient, Chance(0.9) ? member.Id : null, "role", null, category, start,
                new ContactRoute("01632 960000", null), category.IsSensitive && Chance(0.3), By(member), now.AddDays(-500));
            involvements.Add(recorded);
            facts.Add(recorded);
            if (Chance(0.35))
            {
                var end = today.AddDays(-random.Next(0, 200));
                followUps.Add(new InvolvementEnded(recorded.Involvement, TheClient, end < start ? start : end, Admin, now.AddDays(-1)));
            }
        }

        for (var n = random.Next(0, 7); n > 0; n--)
        {
            var consent = new ConsentRecorded(
                new ConsentId(NewId()), TheClient, Naming(), Scope(), ConsentGiver.Client, new ConsentEvidence(EvidenceKind.Written, null),
                Expiry(), Admin, now.AddDays(-random.Next(1, 300)));
            facts.Add(consent);
            if (Chance(0.25))
            {
                followUps.Add(new ConsentWithdrawn(consent.Consent, TheClient, Admin, now.AddHours(-random.Next(1, 100))));
            }
        }

        for (var n = random.Next(0, 3); n > 0; n--)
        {
            var objection = new ObjectionRecorded(new ObjectionId(NewId()), TheClient, Naming(), Admin, now.AddDays(-random.Next(1, 100)));
            facts.Add(objection);
            if (Chance(0.3))
            {
                followUps.Add(new ObjectionWithdrawn(objection.Objection, TheClient, Admin, now.AddHours(-random.Next(1, 100))));
            }
        }

        for (var n = random.Next(0, 3); n > 0; n--)
        {
            var requested = new SharingWithoutConsentRequested(
                new SharingWithoutConsentId(NewId()), TheClient, LawfulBasis.PublicTask, now.AddHours(random.Next(-500, 2000)),
                By(Pick(Staff)), now.AddDays(-random.Next(1, 60)));
            facts.Add(requested);
            if (Chance(0.6))
            {
                followUps.Add(new SharingWithoutConsentApproved(requested.Basis, TheClient, By(Pick(Staff)), requested.At.AddHours(1)));
            }
        }

        for (var n = random.Next(0, 3); n > 0; n--)
        {
            var member = Pick(Staff);
            var at = now.AddHours(-random.Next(0, 10));
            facts.Add(new BreakGlassGranted(new GrantId(NewId()), TheClient, member.Id, member.Agency.Id, at.AddHours(4), at));
        }

        for (var n = random.Next(0, 4); n > 0; n--)
        {
            // Mostly a team member asking about a sensitive involvement, the case contact requests exist for.
            var team = involvements.Where(i => i.Practitioner is not null).Select(i => Staff.Single(m => m.Id == i.Practitioner)).ToList();
            var sensitive = involvements.Where(i => i.Category.IsSensitive).ToList();
            var requester = team.Count > 0 && Chance(0.8) ? Pick(team) : Pick(Staff);
            var about = sensitive.Count > 0 && Chance(0.8) ? Pick(sensitive) : Pick(involvements);
            var requested = new ContactRequested(new ContactRequestId(NewId()), TheClient, about.Involvement, requester.Id, requester.Agency.Id, now.AddDays(-2));
            facts.Add(requested);
            if (Chance(0.7))
            {
                followUps.Add(new ContactRequestAnswered(
                    requested.Request, TheClient, requested.Involvement, requester.Id, Chance(0.7) ? ContactAnswer.Accepted : ContactAnswer.Declined, Admin, now.AddDays(-1)));
            }
        }

        // Viewers are mostly practitioners already in the team, where rule 2 has something to decide.
        var involved = involvements.Where(i => i.Practitioner is not null).Select(i => Staff.Single(m => m.Id == i.Practitioner)).ToList();
        var viewer = Chance(0.2) ? Pick(Agencies).PartnerSystem
            : Chance(0.7) && involved.Count > 0 ? Pick(involved).AsViewer
            : Pick(Staff).AsViewer;
        return new RandomHistory(seed, partnership.ToImmutable(), facts.ToImmutable(), followUps.ToImmutable(), viewer, now);
    }

    public override string ToString() => $"history of seed {Seed}, viewer {Viewer}";
}
