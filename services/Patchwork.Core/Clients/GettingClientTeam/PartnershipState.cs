using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using JasperFx.Events;
using Marten;
using Marten.Events.Projections;
using Patchwork.Core.Agreements;
using Patchwork.Core.Categories;
using Patchwork.Core.Organisations;
using Patchwork.Core.Practitioners;
using Patchwork.EventStore;

namespace Patchwork.Core.Clients;

/// <summary>
/// The partnership-wide facts the access policy needs, as Marten keeps them: one document, the fold
/// (<see cref="Partnership.Evolve"/>) of every organisation's, agreement's, category's and practitioner's registration,
/// written by an inline projection in each such append's transaction. State, not a copy of the log. Readers cache the
/// folded partnership and compare <see cref="EventsFolded"/> to know when to read it again.
/// </summary>
public sealed class PartnershipState
{
    /// <summary>The one document's id.</summary>
    public static readonly Guid TheId = new("50415254-4e45-5253-4849-500000000001");

    public Guid Id { get; set; } = TheId;

    /// <summary>
    /// How many partnership events are folded in: it only grows, so a reader's cache is current when it matches. Not named
    /// Version, which Marten would fill with a version of its own.
    /// </summary>
    public long EventsFolded { get; set; }

    [JsonConverter(typeof(PartnershipJsonConverter))]
    public Partnership Partnership { get; set; } = Partnership.Empty;
}

/// <summary>
/// Events from many streams (each organisation, agreement, category, practitioner) folded into the one
/// <see cref="PartnershipState"/>, inline. Two transactions folding into one document would each load it before the other
/// writes it and one update would be lost, so appends of these events are serialised (<see cref="EventStoreOptions.SerialiseAppendsOf"/>).
/// </summary>
public sealed class PartnershipStateProjection : MultiStreamProjection<PartnershipState, Guid>
{
    /// <summary>The events that change the partnership.</summary>
    public static IReadOnlyList<Type> EventTypes { get; } =
        [typeof(OrganisationRegistered), typeof(AgreementMade), typeof(AgreementEnded), typeof(CategoryAdded), typeof(PractitionerRegistered)];

    public PartnershipStateProjection()
    {
        Identity<OrganisationRegistered>(_ => PartnershipState.TheId);
        Identity<AgreementMade>(_ => PartnershipState.TheId);
        Identity<AgreementEnded>(_ => PartnershipState.TheId);
        Identity<CategoryAdded>(_ => PartnershipState.TheId);
        Identity<PractitionerRegistered>(_ => PartnershipState.TheId);
    }

    public override PartnershipState? Evolve(PartnershipState? snapshot, Guid id, IEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var state = snapshot ?? new PartnershipState { Id = id };
        state.Partnership = Partnership.Evolve(state.Partnership, e.Data);
        state.EventsFolded++;
        return state;
    }
}

public static class PartnershipReadModel
{
    /// <summary>The partnership as an inline Marten projection (<c>mt_doc_partnership_state</c>), its appends serialised.</summary>
    public static EventStoreOptions AddPartnershipState(this EventStoreOptions store)
    {
        ArgumentNullException.ThrowIfNull(store);
        store.SerialiseAppendsOf("partnership", PartnershipStateProjection.EventTypes);
        store.ConfigureMarten.Add(marten =>
        {
            marten.Projections.Add(new PartnershipStateProjection(), JasperFx.Events.Projections.ProjectionLifecycle.Inline);
            marten.Schema.For<PartnershipState>().DocumentAlias("partnership_state");
        });
        return store;
    }

    /// <summary>
    /// Forward migration without loss: a schema whose log holds partnership events but has no partnership document (one
    /// made when the <c>partnership</c> table held copies of the events) gets it rebuilt from the log by Marten's daemon,
    /// before the host serves anyone. Returns whether it rebuilt.
    /// </summary>
    public static Task<bool> RebuildPartnershipIfMissingAsync(EventStore.EventStore store, CancellationToken cancellationToken) =>
        ClientReadModels.RebuildIfMissingAsync<PartnershipStateProjection>(store, "mt_doc_partnership_state",
            PartnershipStateProjection.EventTypes.Select(EventNameAttribute.Of), cancellationToken);
}

/// <summary>
/// <see cref="Partnership"/> as JSON: each kind of fact as an array of its records (each holds its own id), so the
/// dictionaries' typed keys need no converter of their own and read back exactly.
/// </summary>
public sealed class PartnershipJsonConverter : JsonConverter<Partnership>
{
    private sealed record PractitionerOf(PractitionerId Practitioner, OrganisationId Organisation);

    private sealed record Stored(Organisation[] Organisations, SharingAgreement[] Agreements, Category[] Categories, PractitionerOf[] Practitioners);

    public override Partnership Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var stored = JsonSerializer.Deserialize<Stored>(ref reader, options) ?? throw new JsonException("The partnership's state is null.");
        return new Partnership(
            stored.Organisations.ToImmutableDictionary(o => o.Id),
            stored.Agreements.ToImmutableDictionary(a => a.Id),
            new CategoryList(stored.Categories.ToImmutableDictionary(c => c.Name, StringComparer.OrdinalIgnoreCase)))
        {
            Practitioners = stored.Practitioners.ToImmutableDictionary(p => p.Practitioner, p => p.Organisation),
        };
    }

    public override void Write(Utf8JsonWriter writer, Partnership value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(value);
        JsonSerializer.Serialize(writer, new Stored(
            [.. value.Organisations.Values],
            [.. value.Agreements.Values],
            [.. value.Categories.ByName.Values],
            [.. value.Practitioners.Select(p => new PractitionerOf(p.Key, p.Value))]), options);
    }
}
