using MassTransit;
using MassTransit.RabbitMqTransport;
using Patchwork.Core;
using RabbitMQ.Client;

namespace Patchwork.Server.PartnerBus;

/// <summary>
/// Moves a refused, unreadable or unconsumable partner command to the inbound queue's <c>_error</c> or <c>_skipped</c>
/// queue, in place of MassTransit's moves. Those copy every AMQP property, including the partner's <c>user_id</c>; the
/// broker refuses a publish by our user that claims to be the partner, closes the channel and redelivers the command —
/// for ever. This copy leaves the claim out and keeps the sender in a header, so the queue still says who sent it. Each
/// filter is the whole of its pipe: no fault is published (it would carry the claim too), MassTransit's move never runs.
/// </summary>
internal sealed class PartnerErrorQueue(OrganisationId organisation, PartnerCommandAudit audit) : IFilter<ExceptionReceiveContext>, IFilter<ReceiveContext>
{
    public const string SenderHeader = "patchwork-sender";
    public const string ReasonHeader = "patchwork-refused";

    private readonly string _inboundQueue = new PartnerBrokerNames(organisation.Value).InboundQueue;

    public async Task Send(ExceptionReceiveContext context, IPipe<ExceptionReceiveContext> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        await MoveAsync(context, _inboundQueue + "_error", context.Exception.GetBaseException().Message);
        // The consumer audited its own refusals; a body it never saw is audited here.
        if (!Refused(context.Exception)) await audit.UnreadableAsync(organisation, context, "Unreadable:" + context.Exception.GetType().Name);
    }

    /// <summary>
    /// The dead-letter pipe: a message no consumer took. A body that is not JSON comes here too, then fails to
    /// deserialize and reaches the error pipe; only well-formed messages of a type we do not take are skipped here.
    /// </summary>
    public async Task Send(ReceiveContext context, IPipe<ReceiveContext> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!IsJson(context.GetBody())) return;
        await MoveAsync(context, _inboundQueue + "_skipped", "not a command Patchwork takes");
        await audit.UnreadableAsync(organisation, context, "UnknownCommand");
    }

    private static bool IsJson(byte[] body)
    {
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(body);
            return true;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    private static async Task MoveAsync(ReceiveContext context, string queue, string reason)
    {
        if (!context.TryGetPayload(out ChannelContext? channel))
            throw new InvalidOperationException("A partner command arrived without a RabbitMQ channel.");

        // The same declarations every time: cheap beside a refusal, and the queue exists before anything lands in it.
        await channel.Channel.ExchangeDeclareAsync(queue, ExchangeType.Fanout, durable: true, autoDelete: false);
        await channel.Channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
            new Dictionary<string, object?> { ["x-queue-type"] = "quorum" });
        await channel.Channel.QueueBindAsync(queue, queue, "");

        var received = context.TryGetPayload(out RabbitMqBasicConsumeContext? rabbit) ? rabbit.Properties : null;
        var headers = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (received?.Headers is { } original)
            foreach (var (key, value) in original) headers[key] = value;
        if (received?.UserId is { } sender) headers[SenderHeader] = sender;
        headers[ReasonHeader] = reason;
        var properties = new BasicProperties
        {
            MessageId = received?.MessageId,
            CorrelationId = received?.CorrelationId,
            ContentType = received?.ContentType,
            Type = received?.Type,
            Timestamp = received?.Timestamp ?? default,
            DeliveryMode = DeliveryModes.Persistent,
            Headers = headers,
        };
        await channel.BasicPublishAsync(queue, "", true, properties, context.GetBody(), true, context.CancellationToken);
    }

    private static bool Refused(Exception? exception) =>
        exception is not null && (exception is PartnerCommandRejected || Refused(exception.InnerException) ||
                                  (exception is AggregateException many && many.InnerExceptions.Any(Refused)));

    public void Probe(ProbeContext context) => context.CreateFilterScope("partnerErrorQueue");
}
