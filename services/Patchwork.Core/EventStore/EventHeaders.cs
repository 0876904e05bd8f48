using System.Diagnostics;
using System.Text.Json;
using JasperFx.Events;
using Marten;

namespace Patchwork.EventStore;

/// <summary>Who acted, for whom, through which channel and in which trace: stored as each event's headers and ids.</summary>
internal static class EventHeaders
{
    private const string ActorKind = "patchwork-actor-kind";
    private const string ActorId = "patchwork-actor-id";
    private const string Organisation = "patchwork-organisation";
    private const string TraceParent = "traceparent";
    private const string Channel = "patchwork-channel";

    /// <summary>Stores <paramref name="metadata"/> with every event the Marten session appends.</summary>
    public static void Stamp(IDocumentSession session, EventMetadata metadata)
    {
        if (metadata.CorrelationId is { } correlation) session.CorrelationId = correlation.ToString();
        if (metadata.CausationId is { } causation) session.CausationId = causation.ToString();
        if (metadata.ActedBy is { } actor)
        {
            session.SetHeader(ActorKind, actor.StoredKind);
            session.SetHeader(ActorId, actor.Id.ToString());
        }
        if (metadata.OrganisationId is { } organisation) session.SetHeader(Organisation, organisation.ToString());
        if (metadata.Channel is { } channel) session.SetHeader(Channel, channel);
        // The trace the save belongs to (a request, a partner's command), so whatever relays these events joins it.
        if (Activity.Current is { IdFormat: ActivityIdFormat.W3C, Id: { } trace }) session.SetHeader(TraceParent, trace);
    }

    /// <summary>The metadata a stored event carries, read back from its headers.</summary>
    public static EventMetadata Read(IEvent e)
    {
        var headers = e.Headers;
        string? Header(string key) => headers is not null && headers.TryGetValue(key, out var value) ? value switch
        {
            null => null,
            JsonElement { ValueKind: JsonValueKind.String } element => element.GetString(),
            _ => value.ToString(),
        } : null;
        Guid? AsGuid(string? value) => Guid.TryParse(value, out var id) ? id : null;
        return new EventMetadata(
            AsGuid(e.CorrelationId),
            AsGuid(e.CausationId),
            ActingPrincipal.FromStored(Header(ActorKind), AsGuid(Header(ActorId))),
            AsGuid(Header(Organisation)),
            Header(TraceParent),
            Header(Channel));
    }
}
