using Patchwork.Core.Clients;
using Patchwork.EventStore;

namespace Patchwork.Core.BreakGlass;

public sealed record GrantBreakGlass(ClientId Client, GrantId Grant, string Justification, TimeSpan? Duration = null);

/// <summary>
/// Alerts the involved practitioners and their DPOs, and enters the review queue. The justification is not in the event
/// (the log cannot be erased): the handler stores it under <see cref="Grant"/> in the same transaction.
/// </summary>
[EventName(EventNames.BreakGlassGranted)]
public sealed record BreakGlassGranted(GrantId Grant, ClientId Client, PractitionerId Practitioner, OrganisationId Organisation, DateTimeOffset ExpiresAt, DateTimeOffset At);

/// <summary>Any practitioner may break glass, with a written justification; partner systems never can (DESIGN.md §3).</summary>
public static class Granting
{
    public const string Action = "break-glass.grant";

    /// <summary>
    /// The use case every door hands to the client's write pipeline: open to anyone who found the client; the justification
    /// is kept erasably under the grant's id.
    /// </summary>
    public static ClientUseCase<BreakGlassGranted> UseCase(ClientId client, GrantId grant, string? justification, TimeSpan? duration, Actor by) =>
        new(client, Action, (sharing, _, now) => Decide(sharing, new GrantBreakGlass(client, grant, justification ?? "", duration), by, now))
        {
            OpenToAnyone = true,
            Justification = (grant.Value, justification),
        };

    public const int MaxJustificationLength = 4000;

    public static readonly TimeSpan DefaultDuration = TimeSpan.FromHours(4);

    public static readonly TimeSpan LongestDuration = TimeSpan.FromHours(12);

    public static Result<BreakGlassGranted> Decide(ClientSharing client, GrantBreakGlass command, Actor by, DateTimeOffset now)
    {
        var duration = command.Duration ?? DefaultDuration;
        if (by is not Actor.Practitioner practitioner)
        {
            return Problem.Forbidden("only a practitioner may break glass");
        }

        var problem =
            client.Grants.ContainsKey(command.Grant) ? Problem.Conflict("this grant is already recorded")
            : command.Client != client.Client ? Problem.Invalid("client", "does not match the client's record")
            : Text.Required(command.Justification, "justification", MaxJustificationLength, multiLine: true)
            ?? (duration <= TimeSpan.Zero ? Problem.Invalid("duration", "must be positive") : null)
            ?? (duration > LongestDuration ? Problem.Invalid("duration", $"is at most {LongestDuration.TotalHours} hours; break glass again if still needed") : null);
        return problem ?? (Result<BreakGlassGranted>)new BreakGlassGranted(
            command.Grant, client.Client, practitioner.Id, practitioner.Organisation, now + duration, now);
    }
}
