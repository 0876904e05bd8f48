namespace Patchwork.Core;

/// <summary>Who counts as being in a client's team, the precondition for recording things about the client.</summary>
internal static class TeamMembership
{
    public static Problem? CheckOrganisationInvolved(ClientSharing client, Actor by) =>
        client.Involvements.Values.Any(i => i.Organisation == by.Organisation && i.IsActive)
            ? null
            : Problem.Forbidden("only an organisation with an active involvement with the client may record this");

    public static Problem? CheckPractitionerInvolved(ClientSharing client, Actor by) =>
        by is Actor.Practitioner p && client.Involvements.Values.Any(i => i.Practitioner == p.Id && i.IsActive)
            ? null
            : Problem.Forbidden("only a practitioner with an active involvement with the client may do this");
}
