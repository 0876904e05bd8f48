using MassTransit;
using Npgsql;
using Patchwork.Core;
using Patchwork.Core.Clients;
using Patchwork.Core.Involvements;
using Patchwork.Server.Api.Audit;
using Patchwork.Server.Domain;
using Patchwork.EventStore;
using Patchwork.Server.Tokens;
using V1 = Patchwork.Contracts.V1;

namespace Patchwork.Server.PartnerBus;

/// <summary>A partner command the domain refused; it goes to the endpoint's error queue and is not retried.</summary>
public sealed class PartnerCommandRejected(string field, string reason) : Exception($"{field}: {reason}")
{
    public string Field { get; } = field;
}

/// <summary>
/// Carries out commands arriving on one partner organisation's inbound queue. The organisation is the queue's; the
/// partner system is the broker user the broker vouched for in the AMQP <c>user_id</c> property (RabbitMQ refuses a
/// message whose <c>user_id</c> is not the connection's own user); nothing in the body can change either.
/// </summary>
public sealed class PartnerCommandConsumer(
    OrganisationId organisation,
    EventStore.EventStore store,
    ClientTeamReader teams,
    ClientCommandPipeline pipeline,
    IPartnerClientDirectory partners,
    PractitionerDirectory practitioners,
    PartnerCommandAudit audit,
    ClientIdentityVault? vault,
    TimeProvider clock) : IConsumer<V1.RecordInvolvement>, IConsumer<V1.EndInvolvement>, IConsumer<V1.RegisterClient>
{
    /// <summary>A larger body is refused before anything is done with it.</summary>
    public int MaxCommandBytes { get; init; } = 64 * 1024;

    public Task Consume(ConsumeContext<V1.RecordInvolvement> context) => AuditedAsync(context, context.Message.ClientId, RecordAsync);

    public Task Consume(ConsumeContext<V1.EndInvolvement> context) => AuditedAsync(context, context.Message.ClientId, EndAsync);

    public Task Consume(ConsumeContext<V1.RegisterClient> context) => AuditedAsync(context, context.Message.ClientId, RegisterAsync);

    /// <summary>A refused command leaves its audit entry before it goes to the error queue.</summary>
    private async Task AuditedAsync<T>(ConsumeContext<T> context, Guid client, Func<ConsumeContext<T>, Task> handle) where T : class
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            if (context.ReceiveContext.Body.Length > MaxCommandBytes)
                throw new PartnerCommandRejected("body", $"is larger than {MaxCommandBytes} bytes");
            await handle(context);
            Telemetry.PatchworkMetrics.PartnerCommandAccepted(typeof(T).Name);
        }
        catch (PartnerCommandRejected rejected)
        {
            Telemetry.PatchworkMetrics.PartnerCommandRefused(typeof(T).Name, rejected.Field);
            await audit.RefusedAsync(organisation, context, typeof(T).Name, new ClientId(client), $"Invalid:{rejected.Field}");
            throw;
        }
    }

    /// <summary>
    /// Identity goes to the vault, never the log. A redelivery finds the client it registered among the likely
    /// duplicates and counts as done; anyone else who looks alike refuses the command, for a person to check. The id is
    /// the partner's choice, so an id that already has a history without an identity (an erased client's) is refused:
    /// a new identity must never inherit an erased person's involvements, sharing or audit.
    /// </summary>
    private async Task RegisterAsync(ConsumeContext<V1.RegisterClient> context)
    {
        var message = context.Message;
        var by = await SenderAsync(context);
        if (vault is null) throw new InvalidOperationException("The identity vault is not configured on this node.");
        var client = new ClientId(message.ClientId);
        if (!await vault.IsRegisteredAsync(client, context.CancellationToken)
            && (await HasStreamAsync(client, context.CancellationToken) || await audit.WasErasedAsync(client, context.CancellationToken)))
            throw new PartnerCommandRejected("clientId", "this id already has a history in Patchwork; register the client under a new id");
        var identity = ClientIdentity.Create(message.GivenNames, message.FamilyName, message.DateOfBirth, message.NhsNumber, message.Postcode,
            new Dictionary<OrganisationId, string> { [organisation] = message.LocalReference }, Calendar.Today(clock.GetUtcNow()));
        if (identity.Problem is { } invalid) throw new PartnerCommandRejected(invalid.Field ?? "command", invalid.Detail);
        var registered = await vault.RegisterAsync(client, identity.Value, candidatesSeen: false, context.CancellationToken);
        if (registered.Problem is { } problem) throw new PartnerCommandRejected("clientId", problem.Detail);
        if (registered.Value is IdentityRegistration.LikelyDuplicates duplicates && duplicates.Candidates.All(candidate => candidate.Client != client))
            throw new PartnerCommandRejected("identity", $"{duplicates.Candidates.Count} registered client(s) look like this one; a person must check before registering");
        await audit.RegisteredAsync(by, context, client);
    }

    /// <summary>As the API: a client with no history yet must be registered (with an identity in the vault) first.</summary>
    private async Task RecordAsync(ConsumeContext<V1.RecordInvolvement> context)
    {
        var message = context.Message;
        var client = new ClientId(message.ClientId);
        var onBehalfOf = message.PractitionerId is { } practitioner ? new PractitionerId(practitioner) : (PractitionerId?)null;
        var named = onBehalfOf is { } someone ? await practitioners.ActiveOrganisationOfAsync(someone, context.CancellationToken) : null;
        // The wire format requires a category: none is refused, not read as the general one.
        await CarryOutAsync(context, by => Recording.UseCase(client, categories => Recording.Command(client, new InvolvementId(message.InvolvementId),
            message.Role, message.Service, message.Category ?? "", message.Start, new ContactRoute(message.ContactPhone, message.ContactEmail), categories,
            onBehalfOf: onBehalfOf), by, named));
    }

    private Task EndAsync(ConsumeContext<V1.EndInvolvement> context) =>
        CarryOutAsync(context, by => Ending.UseCase(new ClientId(context.Message.ClientId), new InvolvementId(context.Message.InvolvementId), context.Message.End, by));

    /// <summary>Hands the slice's use case, as the sending partner system's, to the client's one write pipeline.</summary>
    private async Task CarryOutAsync<TEvent>(ConsumeContext context, Func<Actor, ClientUseCase<TEvent>> useCaseBy)
        where TEvent : notnull
    {
        var messageId = context.MessageId ?? throw new PartnerCommandRejected("message_id", "every command needs an AMQP message id");
        if (await PartnerInbox.HandledAsync(store.DataSource, store.Schema, organisation, messageId, context.CancellationToken)) return;
        var by = await SenderAsync(context);

        // The client's one write pipeline, as the API's, acting as the partner system for its organisation; the inbox row
        // and the audit entry commit with the event, so a second delivery of the message stores nothing.
        var useCase = useCaseBy(by);
        var act = useCase.By(by, Core.Access.Viewer.ForOrganisation(organisation), new EventMetadata(context.CorrelationId ?? messageId, messageId,
            new ActingPrincipal(PrincipalKind.PartnerSystem, by.Id.Value), organisation.Value, Channel: "bus"));
        ClientActOutcome<TEvent> outcome;
        try
        {
            outcome = await pipeline.HandleAsync(act, useCase.Decide,
                (_, _, rule) => [PartnerInbox.Statement(store.Schema, organisation, messageId), audit.AllowedStatement(by, messageId, useCase.Action, useCase.Client, rule)],
                context.CancellationToken);
        }
        catch (Exception duplicate) when (PartnerInbox.IsSecondDelivery(duplicate))
        {
            // The same message was handled by another delivery meanwhile; this one changes nothing.
            return;
        }
        switch (outcome)
        {
            case ClientActOutcome<TEvent>.Done:
                return;
            case ClientActOutcome<TEvent>.Hidden hidden:
                throw new PartnerCommandRejected(hidden.InvolvementOnly ? "involvementId" : "clientId", hidden.Detail);
            case ClientActOutcome<TEvent>.Refused { Problem: var problem }:
                // Another delivery of this very message (a redelivery racing the original, on another node) may have committed
                // between the inbox check above and the stream read: its event is why this copy sees "already recorded". The
                // inbox row commits with that event, so it is visible now; the command is done, not refused.
                if (await PartnerInbox.HandledAsync(store.DataSource, store.Schema, organisation, messageId, context.CancellationToken)) return;
                // The wire format names the practitioner "practitionerId"; the API's "onBehalfOf" is the same field.
                throw new PartnerCommandRejected(problem.Field == "onBehalfOf" ? "practitionerId" : problem.Field ?? "command", problem.Detail);
            default:
                // A concurrent writer moved the stream: the retry policy runs the command again on the new state.
                throw new InvalidOperationException("The client's record changed while the command ran");
        }
    }

    private async Task<bool> HasStreamAsync(ClientId client, CancellationToken cancellationToken) =>
        (await teams.LoadAsync(client, cancellationToken)).Client is not null;

    private async Task<Actor.PartnerSystem> SenderAsync(ConsumeContext context)
    {
        var system = PartnerCommandAudit.Sender(context) ?? throw new PartnerCommandRejected("user_id", "set the AMQP user_id property to your broker username");
        if (await partners.ActiveOrganisationAsync(system, context.CancellationToken) != organisation)
            throw new PartnerCommandRejected("user_id", "this partner system may not act for the organisation of this queue");
        return new Actor.PartnerSystem(system, organisation);
    }
}
