using Marten;
using Microsoft.Extensions.DependencyInjection;
using Patchwork.Core;
using Patchwork.Core.Attention;
using Patchwork.Core.BreakGlass;
using Patchwork.Core.Consents;
using Patchwork.Core.ContactRequests;
using Patchwork.Core.Insight;
using Patchwork.Core.Involvements;
using Patchwork.Core.SharingWithoutConsent;
using Patchwork.EventStore;
using Patchwork.Server.Insight;
using Patchwork.Server.Tests.Api;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.Insight;

/// <summary>
/// Correct by construction: a generated history (seeded) goes through the real store, the insight subscription folds it
/// under the daemon, and the figures it keeps match, month by month, figures computed independently by plain LINQ over the
/// same events; a rebuild from the log gives the same again. The history lies in 2019–2020, before anything the demo seeds.
/// </summary>
public sealed partial class InsightProjectionTests(ApiServer server) : IClassFixture<ApiServer>
{
    private sealed record Generated(Guid Client, object Data, EventChannel Channel, DateTimeOffset At);

    [Fact]
    public async Task The_projected_figures_match_an_independent_count_of_a_generated_history_and_a_rebuild_gives_the_same()
    {
        var store = server.Services.GetRequiredService<EventStore.EventStore>();
        var history = Generate(new Random(2023), clients: 80);
        foreach (var client in history.GroupBy(h => h.Client))
            foreach (var e in client)
            {
                await using var write = await store.OpenWriteTransactionAsync(new EventMetadata(Channel: e.Channel.ToString().ToLowerInvariant()));
                write.Session.Events.Append(e.Client, e.Data);
                (await write.CommitAsync(CancellationToken.None)).ShouldBeTrue();
            }
        var projection = server.Services.GetRequiredService<InsightProjection>();
        long last;
        await using (var max = store.DataSource.CreateCommand($"SELECT max(seq_id) FROM \"{server.Schema}\".mt_events"))
            last = (long)(await max.ExecuteScalarAsync())!;
        await Eventually.Within(TimeSpan.FromSeconds(90), async () => await projection.PositionAsync(CancellationToken.None) >= last,
            "the insight subscription to reach the end of the generated history");

        var expected = Independently(history);
        Compare(await ProjectedAsync(store), expected);

        await projection.RebuildAsync(CancellationToken.None);
        Compare(await ProjectedAsync(store), expected);
        (await projection.PositionAsync(CancellationToken.None)).ShouldBeGreaterThanOrEqualTo(last);
    }

    [Fact]
    public async Task The_stored_documents_hold_only_ids_months_instants_and_numbers()
    {
        var allowed = new[]
        {
            typeof(Guid), typeof(int), typeof(long), typeof(DateTimeOffset?), typeof(List<int>), typeof(List<Guid>),
            typeof(Dictionary<Guid, Guid>), typeof(Dictionary<Guid, DateTimeOffset>), typeof(Dictionary<int, int>),
        };
        foreach (var type in new[] { typeof(InsightMonth), typeof(InsightClient), typeof(InsightProgress) })
            foreach (var property in type.GetProperties())
                (allowed.Contains(property.PropertyType) || (property.Name == "Id" && property.PropertyType == typeof(string)))
                    .ShouldBeTrue($"{type.Name}.{property.Name} is a {property.PropertyType.Name}: the insight documents hold ids, months and numbers only");

        // And the stored rows: the demo's identifying values never appear, whatever the demo's clients did.
        var store = server.Services.GetRequiredService<EventStore.EventStore>();
        await Eventually.Within(TimeSpan.FromSeconds(60), async () =>
        {
            await using var count = store.DataSource.CreateCommand($"SELECT count(*) FROM \"{server.Schema}\".mt_doc_insight_month");
            return (long)(await count.ExecuteScalarAsync())! > 0;
        }, "the demo's history to be counted");
        await using var rows = store.DataSource.CreateCommand(
            $"SELECT data::text FROM \"{server.Schema}\".mt_doc_insight_month UNION ALL SELECT data::text FROM \"{server.Schema}\".mt_doc_insight_client");
        await using var reader = await rows.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            // Ids are left out of the search: a random UUID's hex can hold "01632" (one in CI's run did), which is not a phone number.
            var stored = Uuid().Replace(reader.GetString(0), "<id>");
            foreach (var identifying in new[] { "Ellie", "Whitfield", "Jayden", "Connor", "2011-04-17", "2016-09-02", "01632" })
                stored.ShouldNotContain(identifying, Case.Insensitive);
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex Uuid();

    private static async Task<Dictionary<string, InsightMonth>> ProjectedAsync(EventStore.EventStore store)
    {
        await using var query = store.Marten.QuerySession();
        return (await query.Query<InsightMonth>().Where(m => m.Month >= 201901 && m.Month <= 202012).ToListAsync()).ToDictionary(m => m.Id);
    }

    private static void Compare(Dictionary<string, InsightMonth> projected, Dictionary<string, InsightMonth> expected)
    {
        var wrong = new List<string>();
        foreach (var id in projected.Keys.Union(expected.Keys).Order(StringComparer.Ordinal))
        {
            var p = projected.GetValueOrDefault(id) ?? new InsightMonth { Id = id };
            var e = expected.GetValueOrDefault(id) ?? new InsightMonth { Id = id };
            foreach (var measure in Enum.GetValues<InsightMeasure>())
                if (InsightLedger.CountOf(p, measure) != InsightLedger.CountOf(e, measure))
                    wrong.Add($"{id} {measure}: projected {InsightLedger.CountOf(p, measure)}, counted {InsightLedger.CountOf(e, measure)}");
            if (!Same(p.DaysToSecondOrganisationCounts, e.DaysToSecondOrganisationCounts) || p.DaysToSecondOrganisation.Count > 0) wrong.Add($"{id} days differ");
            if (!Same(p.MinutesToContactAnswerCounts, e.MinutesToContactAnswerCounts) || p.MinutesToContactAnswer.Count > 0) wrong.Add($"{id} minutes differ");
        }
        expected.Count.ShouldBeGreaterThan(40, "the generated history spans many organisation-months");
        wrong.ShouldBeEmpty(string.Join(Environment.NewLine, wrong.Take(30)));
    }

    /// <summary>The figures by plain LINQ over the generated events, written apart from the fold.</summary>
    private static bool Same(Dictionary<int, int> a, Dictionary<int, int> b) =>
        a.Where(x => x.Value != 0).OrderBy(x => x.Key).SequenceEqual(b.Where(x => x.Value != 0).OrderBy(x => x.Key));

    private static Dictionary<string, InsightMonth> Independently(List<Generated> history)
    {
        var months = new Dictionary<string, InsightMonth>(StringComparer.Ordinal);
        InsightMonth At(Guid org, DateTimeOffset at)
        {
            var month = at.UtcDateTime.Year * 100 + at.UtcDateTime.Month;
            var id = $"{org}:{month}";
            return months.TryGetValue(id, out var m) ? m : months[id] = new InsightMonth { Id = id, Organisation = org, Month = month };
        }
        void Both(Guid org, DateTimeOffset at, Action<InsightMonth> add) { add(At(org, at)); add(At(Guid.Empty, at)); }

        var organisationOf = history.Select(h => h.Data).OfType<InvolvementRecorded>().ToDictionary(r => r.Involvement, r => r.By.Organisation.Value);
        foreach (var h in history)
        {
            switch (h.Data)
            {
                case InvolvementRecorded r:
                    Both(r.By.Organisation.Value, h.At, m => _ = h.Channel switch
                    {
                        EventChannel.Web => m.InvolvementsRecordedWeb++,
                        EventChannel.Bus => m.InvolvementsRecordedBus++,
                        _ => m.InvolvementsRecordedApi++,
                    });
                    break;
                case InvolvementEnded ended:
                    Both(organisationOf[ended.Involvement], h.At, m => _ = h.Channel switch
                    {
                        EventChannel.Web => m.InvolvementsEndedWeb++,
                        EventChannel.Bus => m.InvolvementsEndedBus++,
                        _ => m.InvolvementsEndedApi++,
                    });
                    break;
                case ConsentRecorded c: Both(c.By.Organisation.Value, h.At, m => m.ConsentsRecorded++); break;
                case ConsentWithdrawn c: Both(c.By.Organisation.Value, h.At, m => m.ConsentsWithdrawn++); break;
                case SharingWithoutConsentRequested s: Both(s.By.Organisation.Value, h.At, m => m.SharingWithoutConsentRequested++); break;
                case SharingWithoutConsentApproved s:
                    var requester = history.Select(x => x.Data).OfType<SharingWithoutConsentRequested>().Single(q => q.Basis == s.Basis).By.Organisation.Value;
                    Both(requester, h.At, m => m.SharingWithoutConsentApproved++);
                    break;
                case BreakGlassGranted b: Both(b.Organisation.Value, h.At, m => m.BreakGlassUses++); break;
                case AttentionRaised a: Both(a.Organisation.Value, h.At, m => m.AttentionRaised++); break;
                case ContactRequested q: Both(q.RequesterOrganisation.Value, h.At, m => m.ContactRequestsMade++); break;
                case ContactRequestAnswered answer:
                    var asked = history.Single(x => x.Data is ContactRequested q && q.Request == answer.Request).At;
                    Both(organisationOf[answer.Involvement], h.At, m =>
                    {
                        m.ContactRequestsAnswered++;
                        InsightMonth.Count(m.MinutesToContactAnswerCounts, (int)Math.Floor((h.At - asked).TotalMinutes));
                    });
                    break;
            }
        }
        // Multi-agency: per client, the first moment its active involvements span two organisations.
        foreach (var client in history.GroupBy(h => h.Client))
        {
            var active = new Dictionary<InvolvementId, Guid>();
            var first = client.First(h => h.Data is InvolvementRecorded).At;
            foreach (var h in client)
            {
                if (h.Data is InvolvementRecorded r) active[r.Involvement] = r.By.Organisation.Value;
                else if (h.Data is InvolvementEnded e) active.Remove(e.Involvement);
                else continue;
                var team = active.Values.Distinct().ToList();
                if (h.Data is not InvolvementRecorded || team.Count < 2) continue;
                foreach (var org in team.Append(Guid.Empty))
                {
                    At(org, h.At).MultiAgencyClients++;
                    InsightMonth.Count(At(org, h.At).DaysToSecondOrganisationCounts, (int)Math.Floor((h.At - first).TotalDays));
                }
                break;
            }
        }
        return months;
    }

    /// <summary>Clients whose teams grow and shrink across 2019–2020, with every kind of counted act, through every channel.</summary>
    private static List<Generated> Generate(Random random, int clients)
    {
        var organisations = Enumerable.Range(0, 4).Select(_ => Guid.NewGuid()).ToArray();
        var history = new List<Generated>();
        for (var c = 0; c < clients; c++)
        {
            var client = new ClientId(Guid.CreateVersion7());
            var at = new DateTimeOffset(2019, 1, 1, 9, 0, 0, TimeSpan.Zero).AddMinutes(random.Next(0, 60 * 24 * 400));
            var active = new List<(InvolvementId Id, Guid Org)>();
            var openRequests = new List<(ContactRequestId Id, InvolvementId Involvement)>();
            var openBases = new List<SharingWithoutConsentId>();
            var consents = new List<ConsentId>();
            EventChannel Channel() => (EventChannel)random.Next(3);
            ActedBy By(Guid org) => new(new OrganisationId(org), new PractitionerId(Guid.NewGuid()), null);
            void Add(object data, DateTimeOffset when) => history.Add(new Generated(client.Value, data, Channel(), when));
            for (var step = 0; step < random.Next(3, 14); step++)
            {
                at = at.AddMinutes(random.Next(30, 60 * 24 * 30));
                if (at.Year > 2020) break;
                var org = organisations[random.Next(organisations.Length)];
                switch (active.Count == 0 ? 0 : random.Next(9))
                {
                    case 0 or 1:
                        var involvement = new InvolvementId(Guid.NewGuid());
                        Add(new InvolvementRecorded(involvement, client, null, "Role", null, Category.General, DateOnly.FromDateTime(at.UtcDateTime),
                            new ContactRoute("01632 960000", null), false, By(org), at), at);
                        active.Add((involvement, org));
                        break;
                    case 2:
                        var ending = active[random.Next(active.Count)];
                        active.Remove(ending);
                        Add(new InvolvementEnded(ending.Id, client, DateOnly.FromDateTime(at.UtcDateTime), By(ending.Org), at), at);
                        break;
                    case 3:
                        var consent = new ConsentId(Guid.NewGuid());
                        consents.Add(consent);
                        Add(new ConsentRecorded(consent, client, SharingScope.OrganisationNamed(new OrganisationId(org)), CategoryScope.GeneralOnly,
                            ConsentGiver.Client, new ConsentEvidence(EvidenceKind.Verbal, null), null, By(active[0].Org), at), at);
                        break;
                    case 4 when consents.Count > 0:
                        Add(new ConsentWithdrawn(consents[0], client, By(active[0].Org), at), at);
                        consents.RemoveAt(0);
                        break;
                    case 5:
                        var basis = new SharingWithoutConsentId(Guid.NewGuid());
                        openBases.Add(basis);
                        Add(new SharingWithoutConsentRequested(basis, client, LawfulBasis.SafeguardingChild, at.AddDays(90), By(active[0].Org), at), at);
                        break;
                    case 6 when openBases.Count > 0:
                        Add(new SharingWithoutConsentApproved(openBases[0], client, By(active[0].Org), at), at);
                        openBases.RemoveAt(0);
                        break;
                    case 7:
                        Add(random.Next(2) == 0
                            ? new BreakGlassGranted(new GrantId(Guid.NewGuid()), client, new PractitionerId(Guid.NewGuid()), new OrganisationId(org), at.AddHours(4), at)
                            : new AttentionRaised(new AttentionId(Guid.NewGuid()), client, new PractitionerId(Guid.NewGuid()), new OrganisationId(org), at), at);
                        break;
                    default:
                        if (openRequests.Count > 0 && active.Any(a => a.Id == openRequests[0].Involvement))
                        {
                            var (request, asked) = openRequests[0];
                            openRequests.RemoveAt(0);
                            var answerer = active.First(a => a.Id == asked).Org;
                            Add(new ContactRequestAnswered(request, client, asked, new PractitionerId(Guid.NewGuid()), ContactAnswer.Accepted, By(answerer), at), at);
                        }
                        else
                        {
                            var request = new ContactRequestId(Guid.NewGuid());
                            var target = active[random.Next(active.Count)];
                            openRequests.Add((request, target.Id));
                            Add(new ContactRequested(request, client, target.Id, new PractitionerId(Guid.NewGuid()), new OrganisationId(org), at), at);
                        }
                        break;
                }
            }
        }
        return history;
    }
}
