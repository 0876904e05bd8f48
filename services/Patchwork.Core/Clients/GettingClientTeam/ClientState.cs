using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using JasperFx.Events;
using Marten;
using Marten.Events.Aggregation;
using Patchwork.Core.Attention;
using Patchwork.Core.BreakGlass;
using Patchwork.Core.Consents;
using Patchwork.Core.ContactRequests;
using Patchwork.Core.Involvements;
using Patchwork.Core.Objections;
using Patchwork.Core.SharingWithoutConsent;
using Patchwork.EventStore;

namespace Patchwork.Core.Clients;

/// <summary>
/// A client's sharing state as Marten keeps it: the fold of the client's stream (<see cref="ClientSharing.Evolve"/>),
/// written by an inline projection in each append's transaction. State, not a copy of the log.
/// </summary>
public sealed class ClientState
{
    /// <summary>The client's id, which is its stream's id.</summary>
    public Guid Id { get; set; }

    public ClientSharing Sharing { get; set; } = null!;

    /// <summary>Everyone who has had an involvement with the client, ended ones included: "my clients" looks here.</summary>
    public Guid[] Practitioners { get; set; } = [];
}

/// <summary>
/// The client's stream folded into <see cref="ClientState"/>, inline: the team read is one row, and the relays and the
/// policy see exactly what <see cref="ClientSharing.Evolve"/> makes of the log.
/// </summary>
public sealed class ClientStateProjection : SingleStreamProjection<ClientState, Guid>
{
    /// <summary>The events of a client's stream: every one of them changes (or may change) who sees what.</summary>
    public static IReadOnlySet<string> EventNames { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        Core.EventNames.InvolvementRecorded, Core.EventNames.InvolvementEnded, Core.EventNames.InvolvementRoleOrContactChanged,
        Core.EventNames.InvolvementWithheld, Core.EventNames.ConsentRecorded, Core.EventNames.ConsentWithdrawn,
        Core.EventNames.ObjectionRecorded, Core.EventNames.ObjectionWithdrawn, Core.EventNames.SharingWithoutConsentRequested,
        Core.EventNames.SharingWithoutConsentApproved, Core.EventNames.BreakGlassGranted, Core.EventNames.AttentionRaised,
        Core.EventNames.ContactRequested, Core.EventNames.ContactRequestAnswered, Core.EventNames.BreakGlassReviewed,
    };

    public ClientStateProjection(EventTypes types)
    {
        ArgumentNullException.ThrowIfNull(types);
        foreach (var name in EventNames)
            IncludeType(types.TypeOf(name) ?? throw new InvalidOperationException($"No event type is registered as {name}."));
    }

    public override ClientState? Evolve(ClientState? snapshot, Guid id, IEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var state = snapshot ?? new ClientState { Id = id, Sharing = ClientSharing.Empty(new ClientId(id)) };
        state.Sharing = ClientSharing.Evolve(state.Sharing, e.Data);
        if (e.Data is InvolvementRecorded { Practitioner: { } practitioner } && !state.Practitioners.Contains(practitioner.Value))
            state.Practitioners = [.. state.Practitioners, practitioner.Value];
        return state;
    }
}

public static class ClientReadModels
{
    /// <summary>
    /// The client's state as an inline Marten projection, in a table of its own (<c>mt_doc_client_state</c>) with a GIN
    /// index for "my clients".
    /// </summary>
    public static EventStoreOptions AddClientState(this EventStoreOptions store)
    {
        ArgumentNullException.ThrowIfNull(store);
        store.ConfigureMarten.Add(marten =>
        {
            marten.Projections.Add(new ClientStateProjection(store.Events), JasperFx.Events.Projections.ProjectionLifecycle.Inline);
            marten.Schema.For<ClientState>().DocumentAlias("client_state").GinIndexJsonData();
        });
        return store;
    }

    /// <summary>
    /// Forward migration without loss: a schema whose log holds client events but whose client state is empty (one made
    /// before the state was a projection, when <c>client_team</c> held copies of the events) gets its state rebuilt from
    /// the log by Marten's daemon, before the host serves anyone. Returns whether it rebuilt.
    /// </summary>
    public static Task<bool> RebuildClientStateIfMissingAsync(EventStore.EventStore store, CancellationToken cancellationToken) =>
        RebuildIfMissingAsync<ClientStateProjection>(store, "mt_doc_client_state", ClientStateProjection.EventNames, cancellationToken);

    /// <summary>
    /// Rebuilds an inline projection from the log, by Marten's daemon, when its document table is empty although the log
    /// holds events it folds: a schema made before the read model was that projection. Returns whether it rebuilt.
    /// </summary>
    internal static async Task<bool> RebuildIfMissingAsync<TProjection>(EventStore.EventStore store, string documentTable, IEnumerable<string> eventNames,
        CancellationToken cancellationToken)
        where TProjection : class
    {
        ArgumentNullException.ThrowIfNull(store);
        var schema = CoreSchema.Quote(store.Schema);
        await using (var command = store.DataSource.CreateCommand(
            $"SELECT NOT EXISTS (SELECT 1 FROM {schema}.{documentTable}) AND EXISTS (SELECT 1 FROM {schema}.mt_events WHERE type = ANY(@names))"))
        {
            command.Parameters.AddWithValue("names", eventNames.ToArray());
            if (await command.ExecuteScalarAsync(cancellationToken) is not true) return false;
        }
        using var daemon = await store.Marten.BuildProjectionDaemonAsync();
        await daemon.RebuildProjectionAsync<TProjection>(cancellationToken);
        return true;
    }
}

/// <summary>
/// <see cref="ClientSharing"/> as JSON: each kind of fact as an array of its records (each holds its own id), so the
/// dictionaries' typed keys need no converter of their own and read back exactly.
/// </summary>
public sealed class ClientSharingJsonConverter : JsonConverter<ClientSharing>
{
    private sealed record Stored(
        ClientId Client,
        Involvement[] Involvements,
        Consent[] Consents,
        Objection[] Objections,
        SharingWithoutConsentBasis[] SharingWithoutConsent,
        BreakGlassGrant[] Grants,
        ContactRequest[] ContactRequests,
        RaisedAttention[] Attention);

    public override ClientSharing Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var stored = JsonSerializer.Deserialize<Stored>(ref reader, options) ?? throw new JsonException("A client's sharing state is null.");
        return new ClientSharing(
            stored.Client,
            stored.Involvements.ToImmutableDictionary(i => i.Id),
            stored.Consents.ToImmutableDictionary(c => c.Id),
            stored.Objections.ToImmutableDictionary(o => o.Id),
            stored.SharingWithoutConsent.ToImmutableDictionary(b => b.Id),
            stored.Grants.ToImmutableDictionary(g => g.Id),
            stored.ContactRequests.ToImmutableDictionary(r => r.Id),
            stored.Attention.ToImmutableDictionary(a => a.Id));
    }

    public override void Write(Utf8JsonWriter writer, ClientSharing value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(value);
        JsonSerializer.Serialize(writer, new Stored(
            value.Client,
            [.. value.Involvements.Values],
            [.. value.Consents.Values],
            [.. value.Objections.Values],
            [.. value.SharingWithoutConsent.Values],
            [.. value.Grants.Values],
            [.. value.ContactRequests.Values],
            [.. value.Attention.Values]), options);
    }
}
