using Patchwork.Core.Clients;
using Patchwork.EventStore;

namespace Patchwork.Core.Involvements;

/// <summary>Changes how an involvement describes itself or how to reach it; a null field stays as it was.</summary>
public sealed record ChangeRoleOrContact(ClientId Client, InvolvementId Involvement, string? Role, ContactRoute? Contact);

/// <summary>Carries the whole new role and route so a reader never has to merge partial updates.</summary>
[EventName(EventNames.InvolvementRoleOrContactChanged)]
public sealed record InvolvementRoleOrContactChanged(InvolvementId Involvement, ClientId Client, string Role, ContactRoute Contact, ActedBy By, DateTimeOffset At);

public static class ChangingRoleOrContact
{
    public const string Action = "involvement.change";

    /// <summary>The use case every door hands to the client's write pipeline: the involvement must be one the actor sees.</summary>
    public static ClientUseCase<InvolvementRoleOrContactChanged> UseCase(ChangeRoleOrContact command, Actor by) =>
        new(command.Client, Action, (client, _, now) => Decide(client, command, by, now)) { Involvement = command.Involvement };

    public static Result<InvolvementRoleOrContactChanged> Decide(ClientSharing client, ChangeRoleOrContact command, Actor by, DateTimeOffset now)
    {
        if (!client.Involvements.TryGetValue(command.Involvement, out var involvement))
        {
            return Problem.NotFound("no such involvement with this client");
        }

        var role = command.Role?.Trim() ?? involvement.Role;
        var contact = command.Contact ?? involvement.Contact;
        var problem =
            Involvement.CheckMayChange(involvement, by)
            ?? (!involvement.IsActive ? Problem.Conflict("an ended involvement cannot change") : null)
            ?? (command.Role is not null ? Text.Required(command.Role, "role", Recording.MaxRoleLength) : null)
            ?? (command.Contact is not null ? ContactRoute.Check(command.Contact, "contact") : null)
            ?? (role == involvement.Role && contact == involvement.Contact ? Problem.Invalid("role", "nothing would change") : null);
        return problem ?? (Result<InvolvementRoleOrContactChanged>)new InvolvementRoleOrContactChanged(
            involvement.Id, client.Client, role, contact, ActedBy.From(by), now);
    }
}
