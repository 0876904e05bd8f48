namespace Patchwork.Contracts.V1;

/// <summary>
/// What a partner system sends on its inbound exchange. The acting organisation is the one the exchange belongs
/// to — never a field of the message — and <see cref="CommandId"/> (also the AMQP message id) makes a resend harmless.
/// </summary>
public interface IPartnerCommand
{
    Guid CommandId { get; }
}

/// <summary>
/// Registers a client known to the partner's own case system. Identity travels only here and is stored encrypted,
/// outside the event log; a likely duplicate is not registered and is reported on the partner's queue.
/// </summary>
public sealed record RegisterClient(
    Guid CommandId,
    Guid ClientId,
    string GivenNames,
    string FamilyName,
    DateOnly DateOfBirth,
    string? NhsNumber,
    string? Postcode,
    string LocalReference) : IPartnerCommand;

/// <summary>Records that a practitioner (or, with none named, a duty team) of the partner's organisation works with a client.</summary>
public sealed record RecordInvolvement(
    Guid CommandId,
    Guid ClientId,
    Guid InvolvementId,
    Guid? PractitionerId,
    string Role,
    string? Service,
    string Category,
    DateOnly Start,
    string? ContactPhone,
    string? ContactEmail) : IPartnerCommand;

/// <summary>Ends one of the partner organisation's involvements.</summary>
public sealed record EndInvolvement(Guid CommandId, Guid ClientId, Guid InvolvementId, DateOnly End) : IPartnerCommand;
