using Patchwork.Core.Clients;
using System.Text.Json.Serialization;
using Patchwork.EventStore;

namespace Patchwork.Core.BreakGlass;

/// <summary>What the data protection officer found when they reviewed a use of break-glass.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<BreakGlassFinding>))]
public enum BreakGlassFinding
{
    /// <summary>The emergency and the justification warranted the access.</summary>
    Justified,

    /// <summary>They did not: the DPO follows it up with the practitioner, outside Patchwork.</summary>
    NotJustified,
}

public sealed record ReviewBreakGlass(ClientId Client, GrantId Grant, BreakGlassFinding Finding);

/// <summary>A DPO's review of one break-glass use; it leaves the review queue. The finding is a choice, never free text.</summary>
[EventName(EventNames.BreakGlassReviewed)]
public sealed record BreakGlassReviewed(GrantId Grant, ClientId Client, PractitionerId Reviewer, OrganisationId Organisation, BreakGlassFinding Finding,
    DateTimeOffset At);

/// <summary>
/// A data protection officer reviews the break-glass uses of their own organisation's practitioners, once each (DESIGN.md
/// §2: every grant enters a review queue). Nobody reviews their own use. To anyone else the grant does not exist.
/// </summary>
public static class Reviewing
{
    public const string Action = "break-glass.review";

    /// <summary>
    /// The use case every door hands to the client's write pipeline. The client need only exist: the decision asks the policy
    /// whether the reviewer reviews this grant, and a grant that is not theirs to review does not exist for them.
    /// </summary>
    public static ClientUseCase<BreakGlassReviewed> UseCase(ClientId client, GrantId grant, BreakGlassFinding? finding, Actor by) =>
        new(client, Action, (sharing, _, now) => finding is { } named
            ? Decide(sharing, new ReviewBreakGlass(client, grant, named), by, now)
            : Problem.Invalid("finding", "give justified or not-justified"))
        {
            OpenToAnyone = true,
        };

    public static Result<BreakGlassReviewed> Decide(ClientSharing client, ReviewBreakGlass command, Actor by, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(command);
        if (command.Client != client.Client) return Problem.Invalid("client", "does not match the client's record");
        if (!client.Grants.TryGetValue(command.Grant, out var grant) || !Access.AccessPolicy.MayReview(by, grant))
            return Problem.NotFound("no such break-glass use to review");
        if (grant.Practitioner == (by as Actor.Practitioner)?.Id) return Problem.Forbidden("nobody reviews their own use of break-glass");
        if (grant.Review is not null) return Problem.Conflict("this use of break-glass is already reviewed");
        if (!Enum.IsDefined(command.Finding)) return Problem.Invalid("finding", "give justified or not-justified");
        var reviewer = (Actor.Practitioner)by;
        return new BreakGlassReviewed(grant.Id, client.Client, reviewer.Id, reviewer.Organisation, command.Finding, now);
    }
}
