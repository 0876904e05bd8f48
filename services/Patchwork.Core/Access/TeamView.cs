using System.Collections.Immutable;
using Patchwork.Core.Involvements;

namespace Patchwork.Core.Access;

/// <summary>What one viewer may see of one client's team, at one instant.</summary>
public sealed record TeamView(ClientId Client, Viewer Viewer, ImmutableArray<VisibleInvolvement> Visible, ImmutableArray<MaskedEntry> Masked);

/// <summary>An involvement the viewer sees in full, with the rule that allowed it.</summary>
public sealed record VisibleInvolvement(Involvement Involvement, SharingRule Rule);

/// <summary>
/// "Another service is involved": nothing but a handle to send a contact request with. It has no agency, name,
/// category, date or id, by construction, so no channel can leak them from it.
/// </summary>
public sealed record MaskedEntry(MaskedHandle Handle);

/// <summary>
/// An opaque, per-viewer name for one masked involvement: a keyed hash, so it is stable across reads for the same
/// viewer, unrelated between viewers, and reveals neither the involvement id nor (as a UUIDv7 would) its time.
/// </summary>
public readonly record struct MaskedHandle(string Value)
{
    public override string ToString() => Value;
}

/// <summary>The policy's decision on one involvement for one viewer, for the audit entry (including why it was denied).</summary>
public sealed record AccessDecision(InvolvementId Involvement, SharingRule Rule, ImmutableArray<HiddenBecause> HiddenBecause)
{
    public bool IsVisible => Rule is not (SharingRule.Masked or SharingRule.Hidden);
}

/// <summary>What <see cref="AccessPolicy.SharingBasesOf"/> lets a viewer read of the client's sharing bases.</summary>
public sealed record SharingBasesView(
    ImmutableArray<Consents.Consent> Consents,
    ImmutableArray<SharingWithoutConsent.SharingWithoutConsentBasis> Bases);
