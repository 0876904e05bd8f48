namespace Patchwork.Core.Involvements;

/// <summary>
/// One practitioner (or, with no practitioner, a duty team) of one organisation working with one client.
/// An involvement is active until it has an end date; ending it is immediate, whatever the date says.
/// </summary>
public sealed record Involvement(
    InvolvementId Id,
    ClientId Client,
    OrganisationId Organisation,
    PractitionerId? Practitioner,
    string Role,
    string? Service,
    Category Category,
    DateOnly Start,
    DateOnly? End,
    ContactRoute Contact,
    bool Undisclosed)
{
    public bool IsActive => End is null;

    public static Involvement From(InvolvementRecorded recorded) => new(
        recorded.Involvement, recorded.Client, recorded.By.Organisation, recorded.Practitioner, recorded.Role,
        recorded.Service, recorded.Category, recorded.Start, null, recorded.Contact, recorded.Undisclosed);

    public Involvement Apply(InvolvementEnded ended) => this with { End = ended.End };

    public Involvement Apply(InvolvementRoleOrContactChanged changed) => this with { Role = changed.Role, Contact = changed.Contact };

    public Involvement Apply(InvolvementWithheld withheld) => this with { Undisclosed = withheld.Undisclosed };

    /// <summary>Changes to an involvement belong to its organisation: its practitioner, a manager or admin there, or its partner system.</summary>
    internal static Problem? CheckMayChange(Involvement involvement, Actor by) => by switch
    {
        _ when by.Organisation != involvement.Organisation => Problem.Forbidden("only the involvement's own organisation may change it"),
        Actor.Practitioner p when p.Id != involvement.Practitioner && !p.Holds(Roles.Manager) && !p.Holds(Roles.OrganisationAdmin)
            => Problem.Forbidden("only the involved practitioner, or a manager or administrator of their organisation, may change it"),
        _ => null,
    };
}
