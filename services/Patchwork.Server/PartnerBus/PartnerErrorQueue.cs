using System.Text.Json;
using System.Text.Json.Nodes;
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
/// The copy is redacted (<see cref="RedactedBody"/>): a refused <c>RegisterClient</c> carries a person's identity, and a
/// queue is not an erasable store, so only the envelope's ids, the message type and the ids in the command are kept.
/// </summary>
internal sealed class PartnerErrorQueue(OrganisationId organisation, PartnerCommandAudit audit) : IFilter<ExceptionReceiveContext>, IFilter<ReceiveContext>
{
    public const string SenderHeader = "patchwork-sender";
    public const string ReasonHeader = "patchwork-refused";
    public const string RedactedHeader = "patchwork-redacted";

    private readonly string _inboundQueue = new PartnerBrokerNames(organisation.Value).InboundQueue;

    /// <summary>The commands Patchwork takes, as MassTransit names them in an envelope's <c>messageType</c>.</summary>
    private static readonly HashSet<string> Taken = [.. typeof(PartnerCommandConsumer).GetInterfaces()
        .Where(type => type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IConsumer<>))
        .Select(type => MessageUrn.ForTypeString(type.GetGenericArguments()[0]))];

    public async Task Send(ExceptionReceiveContext context, IPipe<ExceptionReceiveContext> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        // A command of a type we take whose body cannot be read reaches both pipes (MassTransit dead-letters what no
        // consumer could take, then faults): the first to see it moves it, once.
        if (!FirstToMove(context)) return;
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
        var types = MessageTypes(context.GetBody());
        if (types is null) return;
        if (types.Any(Taken.Contains))
        {
            // A command we take that no consumer could read (its message missing or malformed): refused, not skipped.
            if (!FirstToMove(context)) return;
            await MoveAsync(context, _inboundQueue + "_error", "the command could not be read");
            await audit.UnreadableAsync(organisation, context, "Unreadable:Command");
            return;
        }
        if (!FirstToMove(context)) return;
        await MoveAsync(context, _inboundQueue + "_skipped", "not a command Patchwork takes");
        await audit.UnreadableAsync(organisation, context, "UnknownCommand");
    }

    /// <summary>True for the first pipe to claim this delivery: a message is moved to one queue, once.</summary>
    private static bool FirstToMove(ReceiveContext context)
    {
        var claim = new MoveClaim();
        return ReferenceEquals(context.GetOrAddPayload(() => claim), claim);
    }

    private sealed class MoveClaim;

    /// <summary>The envelope's message types, or null for a body that is not JSON (which fails to deserialize and reaches the error pipe).</summary>
    private static string[]? MessageTypes(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object
                   && document.RootElement.TryGetProperty("messageType", out var types) && types.ValueKind == JsonValueKind.Array
                ? [.. types.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.String).Select(t => t.GetString()!)]
                : [];
        }
        catch (JsonException)
        {
            return null;
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
        headers[RedactedHeader] = "body reduced to its ids";
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
        await channel.BasicPublishAsync(queue, "", true, properties, RedactedBody(context.GetBody()), true, context.CancellationToken);
    }

    /// <summary>
    /// What of a refused body is kept: the envelope's ids and message type, and the command's own ids (its properties
    /// named <c>…Id</c> holding a UUID). Names, dates of birth, NHS numbers, contact details and anything the partner
    /// added are dropped; a body that is not a JSON object keeps nothing. The partner still holds what it sent.
    /// </summary>
    public static byte[] RedactedBody(ReadOnlySpan<byte> body)
    {
        JsonObject? envelope;
        try
        {
            envelope = JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException)
        {
            envelope = null;
        }
        var kept = new JsonObject { ["redacted"] = true };
        if (envelope is not null)
        {
            foreach (var name in EnvelopeIds)
                if (envelope[name] is JsonValue value && IsUuid(value)) kept[name] = value.GetValue<string>();
            if (envelope["messageType"] is JsonArray types)
                kept["messageType"] = new JsonArray([.. types.OfType<JsonValue>().Where(t => t.TryGetValue<string>(out _))
                    .Select(t => (JsonNode)JsonValue.Create(t.GetValue<string>()))]);
            if (envelope["message"] is JsonObject message)
            {
                var ids = new JsonObject();
                foreach (var (name, value) in message)
                    if (name.EndsWith("Id", StringComparison.OrdinalIgnoreCase) && value is JsonValue id && IsUuid(id)) ids[name] = id.GetValue<string>();
                kept["message"] = ids;
            }
        }
        return JsonSerializer.SerializeToUtf8Bytes(kept);
    }

    private static readonly string[] EnvelopeIds = ["messageId", "requestId", "correlationId", "conversationId", "initiatorId"];

    private static bool IsUuid(JsonValue value) => value.TryGetValue<string>(out var text) && Guid.TryParse(text, out _);

    private static bool Refused(Exception? exception) =>
        exception is not null && (exception is PartnerCommandRejected || Refused(exception.InnerException) ||
                                  (exception is AggregateException many && many.InnerExceptions.Any(Refused)));

    public void Probe(ProbeContext context) => context.CreateFilterScope("partnerErrorQueue");
}
