using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Patchwork.Core.Access;
using Patchwork.Core.ContactRequests;
using Patchwork.Core.Involvements;
using Patchwork.Core.Tests.Access;
using Patchwork.EventStore;
using static Patchwork.Core.Tests.Access.Cast;

namespace Patchwork.Core.Tests;

public sealed partial class EventNamingTests
{
    private static readonly Type[] EventTypes =
        [.. typeof(EventNames).Assembly.GetTypes().Where(t => t.GetCustomAttribute<EventNameAttribute>() is not null)];

    [Fact]
    public void Every_event_has_a_stable_unique_versioned_name()
    {
        var names = EventTypes.Select(EventNameAttribute.Of).ToList();

        names.ShouldBeUnique();
        names.ShouldAllBe(n => StableName().IsMatch(n));
        names.Order().ShouldBe(typeof(EventNames).GetFields().Select(f => (string)f.GetValue(null)!).Order());
        new EventStore.EventTypes().RegisterFrom(typeof(EventNames).Assembly).TypeOf(EventNames.InvolvementRecorded)
            .ShouldBe(typeof(InvolvementRecorded));
    }

    [Fact]
    public void Events_round_trip_through_the_stores_json_settings()
    {
        var story = Story.ClientWithSocialWorkerPoliceAndSexualHealthNurse().WithRefugeWorkerUndisclosed()
            .ConsentTo(Police, Category.SexualHealth).Withdrawn().ConsentOnlyTo(HealthTrust, Category.MentalHealth).ObjectionTo(Sector.Education)
            .SharingWithoutConsentApproved().BreakGlass(Teacher).AgreementEnded().Ended(PoliceOfficersInvolvement, 2)
            .ContactRequest(PoliceOfficer, SexualHealthNursesInvolvement, ContactAnswer.Accepted);
        var json = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        var events = story.PartnershipEvents.Concat(story.ClientEvents).ToList();

        events.Select(e => e.GetType()).Distinct().Count().ShouldBeGreaterThan(10);
        foreach (var @event in events)
        {
            var text = JsonSerializer.Serialize(@event, @event.GetType(), json);
            var back = JsonSerializer.Deserialize(text, @event.GetType(), json)!;
            JsonSerializer.Serialize(back, back.GetType(), json).ShouldBe(text);
        }

        var replayed = ClientSharing.From(TheClient, story.ClientEvents.Select(e => JsonSerializer.Deserialize(JsonSerializer.Serialize(e, e.GetType(), json), e.GetType(), json)!));
        var partnership = Partnership.From(story.PartnershipEvents.Select(e => JsonSerializer.Deserialize(JsonSerializer.Serialize(e, e.GetType(), json), e.GetType(), json)!));
        AccessPolicy.DecideAll(replayed, partnership, PoliceOfficer.AsViewer, Now, Options)
            .ShouldBe(AccessPolicy.DecideAll(story.ClientState, story.PartnershipState, PoliceOfficer.AsViewer, Now, Options), new DecisionEquality());
    }

    [GeneratedRegex(@"^[a-z]+(-[a-z]+)*\.[a-z]+(-[a-z]+)*\.v[0-9]+$")]
    private static partial Regex StableName();

    private sealed class DecisionEquality : IEqualityComparer<AccessDecision>
    {
        public bool Equals(AccessDecision? x, AccessDecision? y) =>
            x!.Involvement == y!.Involvement && x.Rule == y.Rule && x.HiddenBecause.SequenceEqual(y.HiddenBecause);

        public int GetHashCode(AccessDecision obj) => obj.Involvement.GetHashCode();
    }
}
