using Patchwork.Core.Clients;
using Patchwork.EventStore;

namespace Patchwork.Core.SharingWithoutConsent;

public sealed record RequestSharingWithoutConsent(
    ClientId Client,
    SharingWithoutConsentId Basis,
    LawfulBasis LawfulBasis,
    string Justification,
    DateTimeOffset ExpiresAt);

/// <summary>The justification is not in the event (the log cannot be erased): the handler stores it under <see cref="Basis"/>.</summary>
[EventName(EventNames.SharingWithoutConsentRequested)]
public sealed record SharingWithoutConsentRequested(
    SharingWithoutConsentId Basis,
    ClientId Client,
    LawfulBasis LawfulBasis,
    DateTimeOffset ExpiresAt,
    ActedBy By,
    DateTimeOffset At);

/// <summary>A practitioner in the client's team asks; nothing is shared until a manager approves.</summary>
public static class Requesting
{
    public const string Action = "sharing-without-consent.request";

    /// <summary>The use case every door hands to the client's write pipeline; the justification is kept erasably under the basis's id.</summary>
    public static ClientUseCase<SharingWithoutConsentRequested> UseCase(ClientId client, SharingWithoutConsentId basis, LawfulBasis? lawfulBasis,
        string? justification, DateTimeOffset? expiresAt, Actor by) =>
        new(client, Action, (sharing, _, now) =>
            lawfulBasis is not { } named ? Problem.Invalid("lawfulBasis", "choose the lawful basis")
            : expiresAt is not { } expires ? Problem.Invalid("expiresAt", "is required")
            : Decide(sharing, new RequestSharingWithoutConsent(client, basis, named, justification ?? "", expires), by, now))
        {
            Justification = (basis.Value, justification),
        };

    public const int MaxJustificationLength = 4000;

    /// <summary>Time-limited so it is reviewed: a year at most, then it must be requested afresh.</summary>
    public static readonly TimeSpan LongestTerm = TimeSpan.FromDays(366);

    public static Result<SharingWithoutConsentRequested> Decide(ClientSharing client, RequestSharingWithoutConsent command, Actor by, DateTimeOffset now)
    {
        var problem =
            client.SharingWithoutConsent.ContainsKey(command.Basis) ? Problem.Conflict("this basis is already recorded")
            : command.Client != client.Client ? Problem.Invalid("client", "does not match the client's record")
            : TeamMembership.CheckPractitionerInvolved(client, by)
            ?? (!Enum.IsDefined(command.LawfulBasis) ? Problem.Invalid("lawfulBasis", "is not a recognised lawful basis") : null)
            ?? Text.Required(command.Justification, "justification", MaxJustificationLength, multiLine: true)
            ?? (command.ExpiresAt <= now ? Problem.Invalid("expiresAt", "must be in the future") : null)
            ?? (command.ExpiresAt > now + LongestTerm ? Problem.Invalid("expiresAt", "must be within a year, so the basis is reviewed") : null);
        return problem ?? (Result<SharingWithoutConsentRequested>)new SharingWithoutConsentRequested(
            command.Basis, client.Client, command.LawfulBasis, command.ExpiresAt, ActedBy.From(by), now);
    }
}
