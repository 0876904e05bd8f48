using System.Collections.Immutable;
using Patchwork.Core.Agreements;
using Patchwork.Core.Categories;
using Patchwork.Core.Organisations;
using Patchwork.Core.Practitioners;

namespace Patchwork.Core;

/// <summary>The partnership-wide facts the access policy needs: which organisations exist, their sectors, the agreements and the categories.</summary>
public sealed record Partnership(
    ImmutableDictionary<OrganisationId, Organisation> Organisations,
    ImmutableDictionary<AgreementId, SharingAgreement> Agreements,
    CategoryList Categories)
{
    public static Partnership Empty { get; } = new(
        ImmutableDictionary<OrganisationId, Organisation>.Empty, ImmutableDictionary<AgreementId, SharingAgreement>.Empty, CategoryList.WellKnown);

    /// <summary>The organisation each registered practitioner belongs to (the first registration of an id holds: an id is never moved).</summary>
    public ImmutableDictionary<PractitionerId, OrganisationId> Practitioners { get; init; } = ImmutableDictionary<PractitionerId, OrganisationId>.Empty;

    public Sector? SectorOf(OrganisationId organisation) => Organisations.GetValueOrDefault(organisation)?.Sector;

    /// <summary>Applies one partnership event; events this state does not track leave it as it was.</summary>
    public static Partnership Evolve(Partnership state, object @event) => @event switch
    {
        OrganisationRegistered e => state with
        {
            Organisations = state.Organisations.SetItem(e.Organisation, new Organisation(e.Organisation, e.Name, e.Sector, e.OdsCode, e.OutOfHours)),
        },
        AgreementMade e => state with { Agreements = state.Agreements.SetItem(e.Agreement, SharingAgreement.From(e)) },
        AgreementEnded e when state.Agreements.TryGetValue(e.Agreement, out var agreement) =>
            state with { Agreements = state.Agreements.SetItem(e.Agreement, agreement with { EndedAt = agreement.EndedAt ?? e.At }) },
        CategoryAdded e => state with { Categories = state.Categories.With(e.Category) },
        PractitionerRegistered e when !state.Practitioners.ContainsKey(e.Practitioner) =>
            state with { Practitioners = state.Practitioners.SetItem(e.Practitioner, e.Organisation) },
        _ => state,
    };

    public static Partnership From(IEnumerable<object> events) => events.Aggregate(Empty, Evolve);
}
