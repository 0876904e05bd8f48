using MassTransit;
using Patchwork.Core;
using Patchwork.EventStore;
using Patchwork.Server.Api.Audit;

namespace Patchwork.Server.PartnerBus;

/// <summary>
/// The audit entries of partner commands: each registration, each command carried out (in its event's transaction), and
/// each command refused on its way to the error queue —
/// by the domain or because it could not be read at all. A sender that named no broker user (the broker vouches only
/// for a <c>user_id</c> that is set) is recorded as the all-zero partner system of the queue's organisation.
/// </summary>
public sealed class PartnerCommandAudit(AuditTrail trail, TimeProvider clock)
{
    public static PartnerSystemId? Sender(PipeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var user = context.TryGetPayload<RabbitMqBasicConsumeContext>(out var rabbit) ? rabbit.Properties.UserId : null;
        return user is not null && user.StartsWith("partner-", StringComparison.Ordinal) && Guid.TryParseExact(user["partner-".Length..], "N", out var id)
            ? new PartnerSystemId(id)
            : null;
    }

    public Task RefusedAsync(OrganisationId organisation, ConsumeContext context, string command, ClientId? client, string reason) =>
        WriteAsync(organisation, Sender(context), "partner-command." + command, client, AuditOutcome.Denied, reason, context.MessageId);

    public Task RegisteredAsync(Actor.PartnerSystem by, ConsumeContext context, ClientId client)
    {
        ArgumentNullException.ThrowIfNull(by);
        ArgumentNullException.ThrowIfNull(context);
        return WriteAsync(by.Organisation, by.Id, "client.register", client, AuditOutcome.Allowed, null, context.MessageId);
    }

    /// <summary>
    /// The entry of a command carried out, as a statement for the transaction that appends its event (the client's write
    /// pipeline commits it with the event): the API's action name, the bus channel, the policy's rule, the message id.
    /// </summary>
    public Npgsql.NpgsqlBatchCommand AllowedStatement(Actor.PartnerSystem by, Guid message, string action, ClientId client, string rule)
    {
        ArgumentNullException.ThrowIfNull(by);
        var now = clock.GetUtcNow();
        return trail.Statement(new AuditEntry(Guid.CreateVersion7(now), now, new ActingPrincipal(PrincipalKind.PartnerSystem, by.Id.Value), by.Organisation,
            action, client, AuditChannel.Bus, null, AuditOutcome.Allowed, rule, message));
    }

    /// <summary>Whether the client's identity was ever erased: its id is never given to another identity.</summary>
    public Task<bool> WasErasedAsync(ClientId client, CancellationToken cancellationToken) => trail.WasErasedAsync(client, cancellationToken);

    /// <summary>A body that is not the documented envelope, or names no command we take, never reaches the consumer.</summary>
    public Task UnreadableAsync(OrganisationId organisation, ReceiveContext context, string reason)
    {
        ArgumentNullException.ThrowIfNull(context);
        var message = context.TryGetPayload<RabbitMqBasicConsumeContext>(out var rabbit) && Guid.TryParse(rabbit.Properties.MessageId, out var id) ? id : (Guid?)null;
        return WriteAsync(organisation, Sender(context), "partner-command", null, AuditOutcome.Denied, reason, message);
    }

    // Not the message's cancellation token: a stopping node must still record what it refused.
    private Task WriteAsync(OrganisationId organisation, PartnerSystemId? sender, string action, ClientId? client, AuditOutcome outcome, string? rule, Guid? message)
    {
        var now = clock.GetUtcNow();
        return trail.RecordAsync(new AuditEntry(Guid.CreateVersion7(now), now,
            new ActingPrincipal(PrincipalKind.PartnerSystem, sender?.Value ?? Guid.Empty), organisation, action, client,
            AuditChannel.Bus, null, outcome, rule, message), CancellationToken.None);
    }
}
