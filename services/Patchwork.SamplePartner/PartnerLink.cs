using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Patchwork.SamplePartner;

/// <summary>One notice as it arrived: its record name, the ids it carries, and the AMQP message id.</summary>
public sealed record Notice(string Type, Guid NoticeId, long Position, Guid ClientId, Guid? InvolvementId, string? MessageId, bool Repeat);

/// <summary>
/// A partner system's link to Patchwork over AMQP 0-9-1, exactly as contracts/README.md describes it: commands go to
/// the organisation's inbound exchange as MassTransit JSON envelopes with <c>message_id</c> and <c>user_id</c> set;
/// notices come from the organisation's own queue, are acknowledged after they are handled, and a repeat (same
/// message id) is recognised and ignored.
/// </summary>
public sealed class PartnerLink : IAsyncDisposable
{
    private const string MessageTypePrefix = "urn:message:Patchwork.Contracts.V1:";
    private readonly PartnerSettings _settings;
    private readonly IConnection _connection;
    private readonly IChannel _commands;
    private readonly IChannel _notices;
    private readonly TextWriter _output;
    private readonly ConcurrentDictionary<string, bool> _seen = new(StringComparer.Ordinal);
    private readonly List<Notice> _received = [];
    private readonly SemaphoreSlim _arrived = new(0);

    private PartnerLink(PartnerSettings settings, IConnection connection, IChannel commands, IChannel notices, TextWriter output) =>
        (_settings, _connection, _commands, _notices, _output) = (settings, connection, commands, notices, output);

    public static async Task<PartnerLink> ConnectAsync(PartnerSettings settings, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var connection = await new ConnectionFactory
        {
            HostName = settings.Host, Port = settings.Port, VirtualHost = settings.VirtualHost, UserName = settings.Username, Password = settings.Password,
            ClientProvidedName = "patchwork-sample-partner",
        }.CreateConnectionAsync(cancellationToken);
        // Publisher confirms: a command counts as sent only when the broker has it.
        var commands = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true),
            cancellationToken);
        var notices = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        var link = new PartnerLink(settings, connection, commands, notices, output);
        await link.ListenAsync(cancellationToken);
        output.WriteLine($"connected to {settings} — notices from {settings.NoticeQueue}, commands to {settings.InboundExchange}");
        return link;
    }

    public IReadOnlyList<Notice> Received
    {
        get
        {
            lock (_received) return [.. _received];
        }
    }

    public Task<Guid> RegisterClientAsync(Guid client, string givenNames, string familyName, DateOnly dateOfBirth, string? nhsNumber, string? postcode,
        string localReference, CancellationToken cancellationToken) =>
        SendAsync("RegisterClient", commandId => new JsonObject
        {
            ["commandId"] = commandId, ["clientId"] = client, ["givenNames"] = givenNames, ["familyName"] = familyName,
            ["dateOfBirth"] = Date(dateOfBirth), ["nhsNumber"] = nhsNumber, ["postcode"] = postcode, ["localReference"] = localReference,
        }, cancellationToken);

    public Task<Guid> RecordInvolvementAsync(Guid client, Guid involvement, Guid? practitioner, string role, string? service, string category,
        DateOnly start, string? contactPhone, string? contactEmail, CancellationToken cancellationToken) =>
        SendAsync("RecordInvolvement", commandId => new JsonObject
        {
            ["commandId"] = commandId, ["clientId"] = client, ["involvementId"] = involvement, ["practitionerId"] = practitioner,
            ["role"] = role, ["service"] = service, ["category"] = category, ["start"] = Date(start),
            ["contactPhone"] = contactPhone, ["contactEmail"] = contactEmail,
        }, cancellationToken);

    public Task<Guid> EndInvolvementAsync(Guid client, Guid involvement, DateOnly end, CancellationToken cancellationToken) =>
        SendAsync("EndInvolvement", commandId => new JsonObject
        {
            ["commandId"] = commandId, ["clientId"] = client, ["involvementId"] = involvement, ["end"] = Date(end),
        }, cancellationToken);

    /// <summary>Waits until a notice matching <paramref name="wanted"/> has arrived, or the deadline passes.</summary>
    public async Task<Notice?> WaitForAsync(Func<Notice, bool> wanted, TimeSpan deadline, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(deadline);
        while (true)
        {
            if (Received.FirstOrDefault(wanted) is { } found) return found;
            try
            {
                await _arrived.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return Received.FirstOrDefault(wanted);
            }
        }
    }

    private async Task<Guid> SendAsync(string type, Func<Guid, JsonObject> message, CancellationToken cancellationToken)
    {
        var commandId = Guid.CreateVersion7();
        var envelope = new JsonObject
        {
            ["messageId"] = commandId,
            ["messageType"] = new JsonArray(MessageTypePrefix + type),
            ["sentTime"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["message"] = message(commandId),
        };
        var properties = new BasicProperties
        {
            MessageId = commandId.ToString(),
            ContentType = "application/vnd.masstransit+json",
            DeliveryMode = DeliveryModes.Persistent,
            // The broker checks this is our own username; it is how Patchwork knows which system sent the command.
            UserId = _settings.Username,
        };
        await _commands.BasicPublishAsync(_settings.InboundExchange, "", mandatory: true, properties,
            Encoding.UTF8.GetBytes(envelope.ToJsonString()), cancellationToken);
        _output.WriteLine($"-> {type} client {message(commandId)["clientId"]!.GetValue<Guid>()} (command {commandId})");
        return commandId;
    }

    private async Task ListenAsync(CancellationToken cancellationToken)
    {
        await _notices.BasicQosAsync(0, 20, false, cancellationToken);
        var consumer = new AsyncEventingBasicConsumer(_notices);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            var notice = Read(delivery);
            if (notice is not null)
            {
                lock (_received) _received.Add(notice);
                _output.WriteLine(notice.Repeat
                    ? $"<- {notice.Type} again (message {notice.MessageId}): already handled, ignored"
                    : $"<- {notice.Type} client {notice.ClientId}{(notice.InvolvementId is { } i ? $" involvement {i}" : "")} at position {notice.Position}");
                _arrived.Release();
            }
            // Acknowledged once handled: a crash before this line means the broker delivers it again.
            await _notices.BasicAckAsync(delivery.DeliveryTag, multiple: false);
        };
        await _notices.BasicConsumeAsync(_settings.NoticeQueue, autoAck: false, consumer, cancellationToken);
    }

    private Notice? Read(BasicDeliverEventArgs delivery)
    {
        try
        {
            using var envelope = JsonDocument.Parse(delivery.Body);
            var type = envelope.RootElement.GetProperty("messageType")[0].GetString() ?? "";
            var message = envelope.RootElement.GetProperty("message");
            var messageId = delivery.BasicProperties.MessageId;
            var repeat = messageId is not null && !_seen.TryAdd(messageId, true);
            return new Notice(type.StartsWith(MessageTypePrefix, StringComparison.Ordinal) ? type[MessageTypePrefix.Length..] : type,
                message.GetProperty("noticeId").GetGuid(), message.GetProperty("position").GetInt64(), message.GetProperty("clientId").GetGuid(),
                message.TryGetProperty("involvementId", out var involvement) ? involvement.GetGuid() : null, messageId, repeat);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or IndexOutOfRangeException)
        {
            _output.WriteLine($"<- a message this sample cannot read ({e.Message}); acknowledged and skipped");
            return null;
        }
    }

    private static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        await _notices.DisposeAsync();
        await _commands.DisposeAsync();
        await _connection.DisposeAsync();
        _arrived.Dispose();
    }
}
