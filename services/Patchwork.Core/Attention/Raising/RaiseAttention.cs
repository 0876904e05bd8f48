using Patchwork.Core.Clients;
using Patchwork.EventStore;

namespace Patchwork.Core.Attention;

/// <summary>"I am paying increased attention to this client"; the reason belongs in a message thread, not the log.</summary>
public sealed record RaiseAttention(ClientId Client, AttentionId Attention);

[EventName(EventNames.AttentionRaised)]
public sealed record AttentionRaised(AttentionId Attention, ClientId Client, PractitionerId Practitioner, OrganisationId Organisation, DateTimeOffset At);

public sealed record RaisedAttention(AttentionId Id, PractitionerId Practitioner, OrganisationId Organisation, DateTimeOffset At);

public static class Raising
{
    public const string Action = "attention.raise";

    /// <summary>The use case every door hands to the client's write pipeline.</summary>
    public static ClientUseCase<AttentionRaised> UseCase(RaiseAttention command, Actor by) =>
        new(command.Client, Action, (client, _, now) => Decide(client, command, by, now));

    public static Result<AttentionRaised> Decide(ClientSharing client, RaiseAttention command, Actor by, DateTimeOffset now)
    {
        var problem =
            client.Attention.ContainsKey(command.Attention) ? Problem.Conflict("this attention is already raised")
            : command.Client != client.Client ? Problem.Invalid("client", "does not match the client's record")
            : TeamMembership.CheckPractitionerInvolved(client, by);
        return problem ?? (Result<AttentionRaised>)new AttentionRaised(
            command.Attention, client.Client, ((Actor.Practitioner)by).Id, by.Organisation, now);
    }
}
