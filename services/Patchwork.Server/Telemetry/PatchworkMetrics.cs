using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Patchwork.Server.Telemetry;

/// <summary>
/// The host's own instruments. Their labels are the service's vocabulary only (a relay's name, a channel, a command's
/// type, a refusal's field): never an id, a name or anything else about a client or a practitioner (SECURITY.md).
/// </summary>
public static class PatchworkMetrics
{
    public const string Name = "Patchwork";

    internal static readonly ActivitySource Source = new(Name);
    private static readonly Meter Meter = new(Name);

    private static readonly Counter<long> NoticesDelivered = Meter.CreateCounter<long>("patchwork.notices.delivered", "{notice}",
        "Notices a relay handed to the broker and the broker confirmed, first time");

    private static readonly Counter<long> NoticesRepeated = Meter.CreateCounter<long>("patchwork.notices.repeated", "{notice}",
        "Notices sent again because their page was retried (at-least-once delivery; receivers deduplicate by message id)");

    private static readonly Counter<long> PartnerCommands = Meter.CreateCounter<long>("patchwork.partner.commands", "{command}",
        "Partner commands consumed, by command and outcome (accepted, refused)");

    private static readonly Counter<long> TokensIssued = Meter.CreateCounter<long>("patchwork.tokens.issued", "{token}",
        "Access tokens issued to partner systems");

    /// <summary>A relay's page of notices, confirmed by the broker; a retried page's notices count as repeated.</summary>
    public static void Delivered(string channel, int notices, int attempt)
    {
        if (notices == 0) return;
        (attempt > 0 ? NoticesRepeated : NoticesDelivered).Add(notices, new KeyValuePair<string, object?>("channel", channel));
    }

    public static void PartnerCommandAccepted(string command) =>
        PartnerCommands.Add(1, new("command", command), new("outcome", "accepted"), new("reason", ""));

    /// <summary><paramref name="reason"/> is the field the refusal names (a wire-format field name), never its value.</summary>
    public static void PartnerCommandRefused(string command, string reason) =>
        PartnerCommands.Add(1, new("command", command), new("outcome", "refused"), new("reason", reason));

    public static void TokenIssued() => TokensIssued.Add(1);

    /// <summary>
    /// A relay's hand-over of one notice, as a child of the trace that saved its event (a request, a partner's command):
    /// the relay runs in the background, later, so the trace is carried in the event's <c>traceparent</c> header. The
    /// broker's publish and every node's consume follow as its children.
    /// </summary>
    public static Activity? StartRelaying(string channel, string? traceParent)
    {
        ActivityContext.TryParse(traceParent, null, isRemote: true, out var saved);
        var span = Source.StartActivity($"relay {channel} notice", ActivityKind.Producer, saved);
        span?.SetTag("patchwork.channel", channel);
        return span;
    }

    /// <summary>The push of a notice to a practitioner's open connections on this node: the trace's last step.</summary>
    public static Activity? StartPushing(int connections)
    {
        var span = Source.StartActivity("feed push", ActivityKind.Producer);
        span?.SetTag("patchwork.connections", connections);
        return span;
    }

}
