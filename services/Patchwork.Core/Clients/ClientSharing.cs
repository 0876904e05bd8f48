using System.Collections.Immutable;
using Patchwork.Core.Attention;
using Patchwork.Core.BreakGlass;
using Patchwork.Core.Consents;
using Patchwork.Core.ContactRequests;
using Patchwork.Core.Involvements;
using Patchwork.Core.Objections;
using Patchwork.Core.SharingWithoutConsent;

namespace Patchwork.Core;

/// <summary>
/// Everything about one client that decides who sees what: the state of the client's stream. Holds ids and
/// sharing facts only; the client's identity lives outside the log.
/// </summary>
[System.Text.Json.Serialization.JsonConverter(typeof(Clients.ClientSharingJsonConverter))]
public sealed record ClientSharing(
    ClientId Client,
    ImmutableDictionary<InvolvementId, Involvement> Involvements,
    ImmutableDictionary<ConsentId, Consent> Consents,
    ImmutableDictionary<ObjectionId, Objection> Objections,
    ImmutableDictionary<SharingWithoutConsentId, SharingWithoutConsentBasis> SharingWithoutConsent,
    ImmutableDictionary<GrantId, BreakGlassGrant> Grants,
    ImmutableDictionary<ContactRequestId, ContactRequest> ContactRequests,
    ImmutableDictionary<AttentionId, RaisedAttention> Attention)
{
    public static ClientSharing Empty(ClientId client) => new(
        client,
        ImmutableDictionary<InvolvementId, Involvement>.Empty,
        ImmutableDictionary<ConsentId, Consent>.Empty,
        ImmutableDictionary<ObjectionId, Objection>.Empty,
        ImmutableDictionary<SharingWithoutConsentId, SharingWithoutConsentBasis>.Empty,
        ImmutableDictionary<GrantId, BreakGlassGrant>.Empty,
        ImmutableDictionary<ContactRequestId, ContactRequest>.Empty,
        ImmutableDictionary<AttentionId, RaisedAttention>.Empty);

    public static ClientSharing From(ClientId client, IEnumerable<object> events) => events.Aggregate(Empty(client), Evolve);

    /// <summary>
    /// Applies one event. Events of other clients, events this state does not track, and follow-ups to facts it
    /// has never seen leave it unchanged, so evolving is total and events about different facts commute.
    /// </summary>
    public static ClientSharing Evolve(ClientSharing state, object @event) => @event switch
    {
        InvolvementRecorded e when e.Client == state.Client =>
            state with { Involvements = state.Involvements.SetItem(e.Involvement, Involvement.From(e)) },
        InvolvementEnded e when e.Client == state.Client && state.Involvements.TryGetValue(e.Involvement, out var i) =>
            state with { Involvements = state.Involvements.SetItem(e.Involvement, i.Apply(e)) },
        InvolvementRoleOrContactChanged e when e.Client == state.Client && state.Involvements.TryGetValue(e.Involvement, out var i) =>
            state with { Involvements = state.Involvements.SetItem(e.Involvement, i.Apply(e)) },
        InvolvementWithheld e when e.Client == state.Client && state.Involvements.TryGetValue(e.Involvement, out var i) =>
            state with { Involvements = state.Involvements.SetItem(e.Involvement, i.Apply(e)) },

        ConsentRecorded e when e.Client == state.Client =>
            state with { Consents = state.Consents.SetItem(e.Consent, Consent.From(e)) },
        ConsentWithdrawn e when e.Client == state.Client && state.Consents.TryGetValue(e.Consent, out var c) =>
            state with { Consents = state.Consents.SetItem(e.Consent, c with { WithdrawnAt = c.WithdrawnAt ?? e.At }) },

        ObjectionRecorded e when e.Client == state.Client =>
            state with { Objections = state.Objections.SetItem(e.Objection, new Objection(e.Objection, e.Scope, e.At, null, e.By.Organisation)) },
        ObjectionWithdrawn e when e.Client == state.Client && state.Objections.TryGetValue(e.Objection, out var o) =>
            state with { Objections = state.Objections.SetItem(e.Objection, o with { WithdrawnAt = o.WithdrawnAt ?? e.At }) },

        SharingWithoutConsentRequested e when e.Client == state.Client =>
            state with { SharingWithoutConsent = state.SharingWithoutConsent.SetItem(e.Basis, SharingWithoutConsentBasis.From(e)) },
        SharingWithoutConsentApproved e when e.Client == state.Client && state.SharingWithoutConsent.TryGetValue(e.Basis, out var b) =>
            state with
            {
                SharingWithoutConsent = state.SharingWithoutConsent.SetItem(
                    e.Basis, b.ApprovedAt is null ? b with { ApprovedBy = e.By.Practitioner, ApprovedAt = e.At } : b),
            },

        BreakGlassGranted e when e.Client == state.Client =>
            state with { Grants = state.Grants.SetItem(e.Grant, new BreakGlassGrant(e.Grant, e.Practitioner, e.Organisation, e.At, e.ExpiresAt)) },
        BreakGlassReviewed e when e.Client == state.Client && state.Grants.TryGetValue(e.Grant, out var reviewed) =>
            state with { Grants = state.Grants.SetItem(e.Grant, reviewed with { Review = new BreakGlassReview(e.Reviewer, e.Finding, e.At) }) },


        AttentionRaised e when e.Client == state.Client =>
            state with { Attention = state.Attention.SetItem(e.Attention, new RaisedAttention(e.Attention, e.Practitioner, e.Organisation, e.At)) },

        ContactRequested e when e.Client == state.Client =>
            state with { ContactRequests = state.ContactRequests.SetItem(e.Request, ContactRequest.From(e)) },
        ContactRequestAnswered e when e.Client == state.Client && state.ContactRequests.TryGetValue(e.Request, out var r) =>
            state with { ContactRequests = state.ContactRequests.SetItem(e.Request, r.Answer is null ? r with { Answer = e.Answer, AnsweredAt = e.At } : r) },

        _ => state,
    };
}
