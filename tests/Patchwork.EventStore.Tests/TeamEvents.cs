using System.Collections.Immutable;

namespace Patchwork.EventStore.Tests;

// A small stand-in domain: the team of practitioners around one client.

[EventName("test.team-formed.v1")]
public sealed record TeamFormed(Guid Client);

[EventName("test.practitioner-joined.v1")]
public sealed record PractitionerJoined(Guid Practitioner, string Role);

[EventName("test.practitioner-left.v1")]
public sealed record PractitionerLeft(Guid Practitioner);

public sealed record Team(Guid Client, ImmutableDictionary<Guid, string> Members)
{
    public static Team? Evolve(Team? team, object @event) => @event switch
    {
        TeamFormed formed => new Team(formed.Client, ImmutableDictionary<Guid, string>.Empty),
        PractitionerJoined joined when team is not null => team with { Members = team.Members.SetItem(joined.Practitioner, joined.Role) },
        PractitionerLeft left when team is not null => team with { Members = team.Members.Remove(left.Practitioner) },
        _ => team,
    };
}
