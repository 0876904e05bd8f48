using Bogus;
using Patchwork.Core;
using Patchwork.Core.Attention;
using Patchwork.Core.BreakGlass;
using Patchwork.Core.Consents;
using Patchwork.Core.ContactRequests;
using Patchwork.Core.Involvements;
using Patchwork.Core.SharingWithoutConsent;
using Patchwork.EventStore;

namespace Patchwork.Server.Demo;

/// <summary>
/// Eighteen months of fictional multi-agency work for the demo partnership (<c>Demo:InsightHistory=true</c>, as
/// <c>./patchwork run</c> sets), so "this year against last" on the insight page shows something on a fresh machine.
/// Generated with Bogus from a fixed seed: clients known only by derived ids (no identity is registered, so nobody can
/// find them), acted on by practitioner ids of the five agencies that belong to no account, through the web, the API
/// and the bus. Seeding again finds the first client's stream and stops.
/// </summary>
public sealed class DemoInsightHistory(EventStore.EventStore store, TimeProvider clock, ILogger<DemoInsightHistory> log) : IHostedService
{
    public const int Clients = 160;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var events = Generate(clock.GetUtcNow());
        var first = events[0];
        await using (var opening = await store.OpenWriteTransactionAsync(new EventMetadata(Channel: first.Channel), cancellationToken))
        {
            opening.Session.Events.StartStream(first.Client, first.Data);
            // Refused when the history was seeded before.
            if (!await opening.CommitAsync(cancellationToken)) return;
        }
        foreach (var e in events.Skip(1))
        {
            await using var write = await store.OpenWriteTransactionAsync(new EventMetadata(Channel: e.Channel), cancellationToken);
            write.Session.Events.Append(e.Client, e.Data);
            await write.CommitAsync(cancellationToken);
        }
        log.LogInformation("Seeded {Events} events of fictional history for {Clients} demo clients", events.Count, Clients);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private sealed record Seeded(Guid Client, object Data, string Channel, DateTimeOffset At);

    /// <summary>Every client's events in time order, clients one after another; the same list for the same day.</summary>
    private static List<Seeded> Generate(DateTimeOffset now)
    {
        var random = new Randomizer(2023);
        var agencies = DemoPartnership.Agencies;
        var start = now.AddMonths(-18);
        var all = new List<Seeded>();
        for (var c = 0; c < Clients; c++)
        {
            var client = new ClientId(DemoPartnership.Derive($"history client {c}"));
            var at = start.AddMinutes(random.Int(0, (int)(now - start).TotalMinutes - 60 * 24 * 20));
            var channel = random.ArrayElement(new[] { "web", "web", "api", "bus" });
            var list = new List<Seeded>();
            void Add(object data) => list.Add(new Seeded(client.Value, data, channel, at));
            ActedBy By(DemoPartnership.Agency agency) => new(agency.Id, Practitioner(agency, random.Int(0, 5)), null);
            InvolvementId Record(DemoPartnership.Agency agency)
            {
                var involvement = new InvolvementId(DemoPartnership.Derive($"history involvement {c} {list.Count}"));
                var by = By(agency);
                Add(new InvolvementRecorded(involvement, client, by.Practitioner, "Key worker", agency.Name, Category.General, Calendar.Today(at),
                    new ContactRoute("01632 960000", null), false, by, at));
                return involvement;
            }

            var lead = random.ArrayElement(agencies[..4]);
            var firstInvolvement = Record(lead);
            var joiner = random.ArrayElement(agencies.Where(a => a != lead).ToArray());
            InvolvementId? joined = null;
            if (random.Bool(0.65f))
            {
                // Agencies find each other sooner as the months go by: the gap shrinks across the eighteen months.
                var progress = (at - start).TotalDays / (now - start).TotalDays;
                at = at.AddDays(random.Int(1, (int)(90 - 60 * progress) + 2));
                if (at < now) joined = Record(joiner);
            }
            if (at < now && random.Bool(0.5f))
            {
                at = at.AddDays(random.Int(0, 10));
                Add(new ConsentRecorded(new ConsentId(DemoPartnership.Derive($"history consent {c}")), client, SharingScope.SectorNamed(joiner.Sector),
                    CategoryScope.GeneralOnly, ConsentGiver.Client, new ConsentEvidence(EvidenceKind.Verbal, null), null, By(lead), at));
                if (random.Bool(0.1f))
                {
                    at = at.AddDays(random.Int(5, 60));
                    Add(new ConsentWithdrawn(new ConsentId(DemoPartnership.Derive($"history consent {c}")), client, By(lead), at));
                }
            }
            else if (at < now && random.Bool(0.3f))
            {
                at = at.AddDays(random.Int(0, 5));
                var basis = new SharingWithoutConsentId(DemoPartnership.Derive($"history basis {c}"));
                Add(new SharingWithoutConsentRequested(basis, client, LawfulBasis.SafeguardingChild, at.AddDays(180), By(lead), at));
                at = at.AddHours(random.Int(2, 72));
                if (random.Bool(0.8f)) Add(new SharingWithoutConsentApproved(basis, client, By(lead), at));
            }
            if (joined is { } asked && random.Bool(0.2f))
            {
                at = at.AddDays(random.Int(0, 14));
                var request = new ContactRequestId(DemoPartnership.Derive($"history contact {c}"));
                Add(new ContactRequested(request, client, asked, Practitioner(lead, 0), lead.Id, at));
                at = at.AddMinutes(random.Int(20, 60 * 48));
                Add(new ContactRequestAnswered(request, client, asked, Practitioner(lead, 0), ContactAnswer.Accepted, By(joiner), at));
            }
            if (random.Bool(0.3f))
            {
                at = at.AddDays(random.Int(0, 30));
                Add(new AttentionRaised(new AttentionId(DemoPartnership.Derive($"history attention {c}")), client, Practitioner(lead, 1), lead.Id, at));
            }
            if (random.Bool(0.06f))
            {
                at = at.AddDays(random.Int(0, 30));
                Add(new BreakGlassGranted(new GrantId(DemoPartnership.Derive($"history grant {c}")), client, Practitioner(agencies[1], 2), agencies[1].Id, at.AddHours(4), at));
                // Its DPO reviews it within days (no draw from the generator, so the rest of the history stays as it was).
                Add(new BreakGlassReviewed(new GrantId(DemoPartnership.Derive($"history grant {c}")), client, Practitioner(agencies[1], 3), agencies[1].Id,
                    c % 7 == 0 ? BreakGlassFinding.NotJustified : BreakGlassFinding.Justified, at.AddHours(3 + c % 5 * 17)));
            }
            if (random.Bool(0.4f))
            {
                at = at.AddDays(random.Int(20, 200));
                Add(new InvolvementEnded(firstInvolvement, client, Calendar.Today(at), By(lead), at));
            }
            all.AddRange(list.Where(e => e.At < now));
        }
        return all;
    }

    /// <summary>A practitioner id of the agency that no account or register holds: "my clients" of the demo staff stay theirs.</summary>
    private static PractitionerId Practitioner(DemoPartnership.Agency agency, int n) => new(DemoPartnership.Derive($"history practitioner {agency.Name} {n}"));
}
