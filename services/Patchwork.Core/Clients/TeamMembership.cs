namespace Patchwork.Core;

/// <summary>Who counts as being in a client's team, the precondition for recording things about the client.</summary>
internal static class TeamMembership
{
    public static Problem? CheckOrganisationInvolved(ClientSharing client, Actor by) =>
        client.Involvements.Values.Any(i => i.Organisation == by.Organisation && i.IsActive)
            ? null
            : Problem.Forbidden("only an organisation with an active involvement with the client may record this");

    /// <summary>A practitioner's own involvement (of their own organisation: an id alone proves nothing), or a partner system's organisation's.</summary>
    public static Problem? CheckPractitionerInvolved(ClientSharing client, Actor by) =>
        by is Actor.Practitioner p && client.Involvements.Values.Any(i => i.Practitioner == p.Id && i.Organisation == p.Organisation && i.IsActive)
            ? null
            : Problem.Forbidden("only a practitioner with an active involvement with the client may do this");

    /// <summary>A practitioner acts on their own active involvement; a partner system on its organisation's.</summary>
    public static Problem? CheckActorInvolved(ClientSharing client, Actor by) =>
        by is Actor.Practitioner ? CheckPractitionerInvolved(client, by) : CheckOrganisationInvolved(client, by);
}
