using Patchwork.Core.Clients;
using Patchwork.EventStore;

namespace Patchwork.Core.Involvements;

/// <summary>
/// Records that the acting practitioner works with a client, which puts them in the client's team. A partner
/// system records on behalf of one of its organisation's practitioners, or of a duty team when none is named.
/// </summary>
public sealed record RecordInvolvement(
    ClientId Client,
    InvolvementId Involvement,
    string Role,
    string? Service,
    Category Category,
    DateOnly Start,
    ContactRoute Contact,
    bool Undisclosed = false,
    PractitionerId? OnBehalfOf = null);

[EventName(EventNames.InvolvementRecorded)]
public sealed record InvolvementRecorded(
    InvolvementId Involvement,
    ClientId Client,
    PractitionerId? Practitioner,
    string Role,
    string? Service,
    Category Category,
    DateOnly Start,
    ContactRoute Contact,
    bool Undisclosed,
    ActedBy By,
    DateTimeOffset At);

public static class Recording
{
    public const string Action = "involvement.record";

    /// <summary>
    /// The command from a door's fields (a body, a form, a partner's message): a missing start or contact, or a category not in
    /// the partnership's list, is refused as the field it is; no category is the general one.
    /// </summary>
    public static Result<RecordInvolvement> Command(ClientId client, InvolvementId involvement, string? role, string? service, string? category,
        DateOnly? start, ContactRoute? contact, CategoryList categories, bool undisclosed = false, PractitionerId? onBehalfOf = null)
    {
        ArgumentNullException.ThrowIfNull(categories);
        if (start is not { } from) return Problem.Invalid("start", "is required");
        if (contact is null) return Problem.Invalid("contact", "give a phone number or an email address");
        if (categories.Find(category ?? Category.General.Name) is not { } found) return Problem.Invalid("category", "is not one of the partnership's categories");
        return new RecordInvolvement(client, involvement, role ?? "", service, found, from, contact, undisclosed, onBehalfOf);
    }

    /// <summary>
    /// The use case every door hands to the client's write pipeline: open to anyone who found the client. The door's command
    /// names its category, which is looked up in the partnership's list as it stands when the stream is read.
    /// </summary>
    public static ClientUseCase<InvolvementRecorded> UseCase(ClientId client, Func<CategoryList, Result<RecordInvolvement>> command, Actor by,
        OrganisationId? namedPractitionersOrganisation = null) =>
        new(client, Action, (sharing, partnership, now) =>
            command(partnership.Categories).Bind(recorded => Decide(sharing, recorded, by, partnership.Categories, now, namedPractitionersOrganisation)))
        {
            OpenToAnyone = true,
        };

    public const int MaxRoleLength = 200;

    /// <param name="namedPractitionersOrganisation">
    /// The organisation the practitioner named by <see cref="RecordInvolvement.OnBehalfOf"/> actively works for, as the
    /// practitioner directory says (null when they are no active practitioner): DESIGN §3 rule 14, a partner system acts
    /// only for its own organisation's staff.
    /// </param>
    public static Result<InvolvementRecorded> Decide(ClientSharing client, RecordInvolvement command, Actor by, CategoryList categories, DateTimeOffset now,
        OrganisationId? namedPractitionersOrganisation = null)
    {
        var practitioner = by is Actor.Practitioner p ? p.Id : command.OnBehalfOf;
        var problem =
            // Joining a team widens what its organisation sees (DESIGN.md §3, rule 10): only someone who works with clients may.
            by is Actor.Practitioner signedIn && !signedIn.Holds(Roles.Practitioner)
                ? Problem.Forbidden("recording an involvement needs the practitioner role")
            : client.Involvements.ContainsKey(command.Involvement) ? Problem.Conflict("this involvement is already recorded")
            : command.Client != client.Client ? Problem.Invalid("client", "does not match the client's record")
            : by is Actor.Practitioner && command.OnBehalfOf is { } other && other != practitioner
                ? Problem.Invalid("onBehalfOf", "a practitioner records their own involvement")
            : by is Actor.PartnerSystem && command.OnBehalfOf is not null && namedPractitionersOrganisation != by.Organisation
                ? Problem.Invalid("onBehalfOf", "is not an active practitioner of your organisation")
            : Text.Required(command.Role, "role", MaxRoleLength)
            ?? Text.Optional(command.Service, "service", MaxRoleLength)
            ?? (!categories.Contains(command.Category) ? Problem.Invalid("category", "is not one of the partnership's categories") : null)
            ?? (command.Start > Calendar.Today(now) ? Problem.Invalid("start", "cannot be in the future") : null)
            ?? ContactRoute.Check(command.Contact, "contact")
            ?? (command.Undisclosed && !categories.IsSensitive(command.Category)
                ? Problem.Invalid("undisclosed", "only a sensitive involvement can be undisclosed") : null)
            ?? (practitioner is { } someone && client.Involvements.Values.Any(i => i.Practitioner == someone && i.Organisation == by.Organisation && i.IsActive)
                ? Problem.Conflict("this practitioner already has an active involvement with the client") : null);
        return problem ?? (Result<InvolvementRecorded>)new InvolvementRecorded(
            command.Involvement, client.Client, practitioner, command.Role.Trim(), command.Service?.Trim(),
            categories.Find(command.Category.Name) ?? command.Category, command.Start, command.Contact, command.Undisclosed,
            ActedBy.From(by), now);
    }
}
