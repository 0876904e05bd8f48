using System.Collections.Immutable;
using Microsoft.AspNetCore.Http.HttpResults;
using Patchwork.Core;
using Patchwork.Core.Access;
using Patchwork.Core.Clients;
using Patchwork.Core.Consents;
using Patchwork.Core.Involvements;
using Patchwork.Core.Objections;
using Patchwork.EventStore;
using Patchwork.Server.Api.Clients;

namespace Patchwork.Server.Api.Audit;

/// <summary>
/// "Who viewed this client" and the subject access export. Whoever may not read them gets 404, as if the client did not
/// exist: the audit of a client says who works with them. Both go through the policy (DESIGN.md §3, rules 10 and 11):
/// everything, in full, only for a partnership admin acting for the partnership's joint controllers; for anyone else,
/// only what their own organisation holds or may see, and audit entries reduced to allowed or refused and the rule family.
/// </summary>
public sealed class ClientRecords(EventStore.EventStore store, AuditTrail trail, RequestAudit audit, TimeProvider clock, ClientTeamReader reader,
    PolicyOptions policy, IServiceProvider services)
{
    private const int DefaultPage = 50;
    private const int LargestPage = 200;
    private const int DefaultExportPage = 500;
    private const int LargestExportPage = 1000;

    /// <summary>
    /// Partnership admins see every entry; a DPO of an organisation involved with the client, and a practitioner with an
    /// active involvement of their own, see the entries of their own organisation's staff and systems (and those that
    /// disclosed its records to another), with their rules reduced to families.
    /// </summary>
    public async Task<Results<Ok<AuditPageResponse>, ValidationProblem, ProblemHttpResult>> WhoViewedAsync(HttpContext http, CurrentActor caller, ClientId client,
        string? cursor, int? limit, CancellationToken cancellationToken)
    {
        if (!AuditApi.TryReadCursor(cursor, out var after)) return ApiProblems.Invalid("cursor", "is not a cursor this API gave");
        if (limit is < 1 or > LargestPage) return ApiProblems.Invalid("limit", $"is between 1 and {LargestPage}");
        var page = await WhoViewedPageAsync(http, caller, client, after, limit ?? DefaultPage, cancellationToken);
        return page.Problem is { } problem ? ApiProblems.From<Ok<AuditPageResponse>>(problem) : TypedResults.Ok(page.Value);
    }

    /// <summary>The one "who viewed" read, for the API and the pages: <paramref name="count"/> entries after <paramref name="after"/>, audited.</summary>
    public async Task<Result<AuditPageResponse>> WhoViewedPageAsync(HttpContext http, CurrentActor caller, ClientId client, Guid? after, int count,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var sharing = (await LoadAsync(client, cancellationToken))?.Sharing;
        var me = caller.Actor as Actor.Practitioner;
        var everything = me?.Holds(Roles.PartnershipAdmin) == true;
        var ownOrganisation = sharing is not null && me is not null && (
            (me.Holds(Roles.DataProtectionOfficer) && sharing.Involvements.Values.Any(i => i.Organisation == me.Organisation))
            || sharing.Involvements.Values.Any(i => i.Practitioner == me.Id && i.Organisation == me.Organisation && i.IsActive));
        if (sharing is null || !(everything || ownOrganisation))
        {
            await audit.DeniedAsync(http, caller, "client.audit.read", client, sharing is null ? "NoSuchClient" : "NotEntitled");
            return Problem.NotFound("no such client");
        }

        var page = await trail.PageAsync(client, everything ? null : caller.Organisation, after, count + 1, cancellationToken);
        await audit.AllowedAsync(http, caller, "client.audit.read", client, everything ? "AllEntries" : "OwnOrganisationEntries");
        var detail = AuditDetails.For(caller);
        var justifications = await JustificationsAsync(client, cancellationToken);
        return new AuditPageResponse([.. page.Take(count).Select(entry => AuditEntryResponse.For(entry, detail, justifications))],
            page.Count > count ? AuditApi.Cursor(page[count - 1].Id) : null);
    }

    /// <summary>
    /// Subject access, with a stated purpose: everything held, for a partnership admin; for a DPO of an organisation that
    /// holds an involvement with the client, what their organisation holds and what the policy lets it see. The organisations
    /// whose involvements the export holds are named in its audit entry, which their DPOs then find in "who viewed". The
    /// access log is paged (oldest first, <paramref name="limit"/> entries, then <c>auditNextCursor</c>); the rest comes
    /// whole on every page.
    /// </summary>
    public async Task<Results<Ok<SubjectAccessExport>, ValidationProblem, ProblemHttpResult>> ExportAsync(HttpContext http, CurrentActor caller, ClientId client,
        string? purpose, string? cursor, int? limit, CancellationToken cancellationToken)
    {
        if (!AuditApi.TryReadExportCursor(cursor, out var position)) return ApiProblems.Invalid("cursor", "is not a cursor this API gave");
        if (limit is < 1 or > LargestExportPage) return ApiProblems.Invalid("limit", $"is between 1 and {LargestExportPage}");
        var opened = await OpenAsync(http, caller, client, purpose, cancellationToken);
        if (opened.Refusal is { } refused) return ApiProblems.From<Ok<SubjectAccessExport>>(refused);
        var read = opened.Read!;
        var count = limit ?? DefaultExportPage;
        // The log as it stood at the first page (its own entry included): each page adds an entry, and paging must end.
        var until = position?.Until ?? await trail.LatestAsync(client, cancellationToken);
        var entries = await trail.PageForwardAsync(client, read.Everything ? null : caller.Organisation, position?.After, until, count + 1, cancellationToken);
        return TypedResults.Ok(SubjectAccessExport.From(client, read.At, read.Identity, read.Sharing, read.Masked, [.. entries.Take(count)], read.Detail,
            read.Justifications, entries.Count > count ? AuditApi.ExportCursor(entries[count - 1].Id, until) : null, read.Erasure));
    }

    /// <summary>
    /// The same subject access as <see cref="ExportAsync"/> — the same door, refusals and audit entry (action
    /// <c>client.export</c>) — with the whole access log as it stood when the export began, for the FHIR Bundle and the
    /// page for the person, which are read whole. <see cref="SubjectAccessAnswer.Refusal"/> is the API's answer when refused.
    /// </summary>
    public async Task<SubjectAccessAnswer> SubjectAccessAsync(HttpContext http, CurrentActor caller, ClientId client, string? purpose,
        CancellationToken cancellationToken)
    {
        var opened = await OpenAsync(http, caller, client, purpose, cancellationToken);
        if (opened.Read is not { } read) return opened;
        var until = await trail.LatestAsync(client, cancellationToken);
        var entries = await trail.PageForwardAsync(client, read.Everything ? null : caller.Organisation, null, until, int.MaxValue, cancellationToken);
        var organisations = entries.Select(e => e.Organisation).Concat(read.Sharing.Involvements.Values.Select(i => i.Organisation))
            .Append(caller.Organisation).Distinct();
        var names = await Web.DeskReading.PractitionersAsync(store, organisations, cancellationToken);
        return new SubjectAccessAnswer(null, read with { Audit = entries, Practitioners = names });
    }

    /// <summary>The export's door: who may export (rule 10), the purpose, the audit entry, and what the exporter's organisation holds.</summary>
    private async Task<SubjectAccessAnswer> OpenAsync(HttpContext http, CurrentActor caller, ClientId client, string? purpose, CancellationToken cancellationToken)
    {
        var held = await LoadAsync(client, cancellationToken);
        var vault = services.GetService<ClientIdentityVault>();
        var identity = vault is null ? null : await vault.ReadAsync(client, cancellationToken);
        var erasure = await trail.ErasureAsync(client, cancellationToken);
        var me = caller.Actor as Actor.Practitioner;
        var everything = me?.Holds(Roles.PartnershipAdmin) == true;
        var ownOrganisation = me?.Holds(Roles.DataProtectionOfficer) == true && held?.Sharing.Involvements.Values.Any(i => i.Organisation == me.Organisation) == true;
        if ((held is null && identity is null && erasure is null) || me is null || !(everything || ownOrganisation))
        {
            await audit.DeniedAsync(http, caller, "client.export", client, held is null && identity is null && erasure is null ? "NoSuchClient" : "NotEntitled", purpose);
            return new SubjectAccessAnswer(Problem.NotFound("no such client"), null);
        }
        if (string.IsNullOrWhiteSpace(purpose) || purpose.Length > ClientReads.MaxPurposeLength)
        {
            await audit.DeniedAsync(http, caller, "client.export", client, "Invalid:purpose");
            return new SubjectAccessAnswer(Problem.Invalid("purpose", $"say why you are exporting this client's records, in 1 to {ClientReads.MaxPurposeLength} characters"), null);
        }

        var now = clock.GetUtcNow();
        var partnership = await reader.PartnershipAsync(cancellationToken);
        var (sharing, masked) = everything
            ? (held?.Sharing ?? ClientSharing.Empty(client), [])
            : HeldBy(held!, partnership, me, now);
        var disclosed = sharing.Involvements.Values.Select(i => i.Organisation).Where(o => o != caller.Organisation).Distinct().OrderBy(o => o.Value).ToList();
        // The export's own entry is written first, so the export includes the access that produced it.
        await audit.AllowedDisclosingAsync(http, caller, "client.export", client, everything ? "SubjectAccess:PartnershipAdmin" : "SubjectAccess:OwnOrganisation",
            purpose, disclosed);
        return new SubjectAccessAnswer(null, new SubjectAccessRead(client, now, me, purpose, everything, identity, sharing, masked, AuditDetails.For(caller),
            await JustificationsAsync(client, cancellationToken), erasure is { } erased ? new ClientErasure(erased.At, erased.Purpose) : null, partnership));
    }

    /// <summary>
    /// Rule 1 and the policy at organisation level: the organisation's own involvements, and the consents, objections,
    /// bases and grants that name it or that it recorded; plus what <see cref="AccessPolicy.TeamOf"/> shows the organisation,
    /// masked entries staying masked. An involvement the exporting DPO recorded themself is left out of that view, so
    /// recording one just before an export cannot widen it.
    /// </summary>
    private (ClientSharing Sharing, IReadOnlyList<MaskedHandle> Masked) HeldBy(Held held, Partnership partnership, Actor.Practitioner me, DateTimeOffset now)
    {
        var (state, organisation) = (held.Sharing, me.Organisation);
        var sector = partnership.SectorOf(organisation);
        bool RecordedByUs(Guid id) => held.RecordedBy.TryGetValue(id, out var by) && by.Organisation == organisation;
        var byMe = state.Involvements.Values
            .Where(i => i.Practitioner == me.Id || (held.RecordedBy.TryGetValue(i.Id.Value, out var by) && by.Practitioner == me.Id))
            .Select(i => i.Id);
        var view = AccessPolicy.TeamOf(state with { Involvements = state.Involvements.RemoveRange(byMe) }, partnership,
            Viewer.ForOrganisation(organisation), now, policy);
        var shown = view.Visible.Select(v => v.Involvement.Id).ToHashSet();
        var scoped = state with
        {
            Involvements = state.Involvements.Where(i => i.Value.Organisation == organisation || shown.Contains(i.Key)).ToImmutableDictionary(),
            Consents = state.Consents.Where(c => c.Value.Scope.Names(organisation, sector) || RecordedByUs(c.Key.Value)).ToImmutableDictionary(),
            Objections = state.Objections.Where(o => o.Value.Scope.Names(organisation, sector) || RecordedByUs(o.Key.Value)).ToImmutableDictionary(),
            SharingWithoutConsent = state.SharingWithoutConsent.Where(b => b.Value.RequestedBy.Organisation == organisation).ToImmutableDictionary(),
            Grants = state.Grants.Where(g => g.Value.Organisation == organisation).ToImmutableDictionary(),
            ContactRequests = state.ContactRequests.Clear(),
            Attention = state.Attention.Clear(),
        };
        return (scoped, [.. view.Masked.Select(m => m.Handle)]);
    }

    /// <summary>
    /// Erasure (DESIGN.md §6), by a partnership admin once no involvement with the client is active: the identity and the
    /// key every message body of theirs is sealed under go in one transaction with the audit entry; the events (ids, times,
    /// the sharing skeleton) and the audit trail stay, so counts and the record of access survive without personal data.
    /// Anyone else gets 404, as for the export. Erasing again erases nothing more and is answered the same.
    /// </summary>
    public async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> EraseAsync(HttpContext http, CurrentActor caller, ClientId client,
        EraseClientRequest body, CancellationToken cancellationToken)
    {
        var sharing = (await LoadAsync(client, cancellationToken))?.Sharing;
        var vault = services.GetService<ClientIdentityVault>();
        var exists = sharing is not null || (vault is not null && await vault.IsRegisteredAsync(client, cancellationToken));
        if (!exists || caller.Actor is not Actor.Practitioner me || !me.Holds(Roles.PartnershipAdmin))
        {
            await audit.DeniedAsync(http, caller, "client.erase", client, exists ? "NotEntitled" : "NoSuchClient");
            return ApiProblems.NoSuchClient();
        }
        if (string.IsNullOrWhiteSpace(body.Reason) || body.Reason.Length > 500)
        {
            await audit.DeniedAsync(http, caller, "client.erase", client, "Invalid:reason");
            return ApiProblems.Invalid("reason", "give the reason for erasure (the retention decision), up to 500 characters");
        }
        if (Text.Plain(body.Reason, "reason", multiLine: true) is { } notPlain)
        {
            await audit.DeniedAsync(http, caller, "client.erase", client, "Invalid:reason");
            return ApiProblems.Invalid(notPlain.Field ?? "reason", notPlain.Detail);
        }
        if (sharing?.Involvements.Values.Any(i => i.IsActive) == true)
        {
            await audit.DeniedAsync(http, caller, "client.erase", client, "InvolvementsActive", body.Reason);
            return TypedResults.Problem("the client still has active involvements: retention runs from the end of the last one",
                statusCode: StatusCodes.Status409Conflict, title: "Involvements still active");
        }

        await using var connection = await store.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (vault is not null) await vault.EraseAsync(client, connection, transaction, cancellationToken);
        if (services.GetService<Justifications>() is { } justifications) await justifications.EraseAsync(client, connection, transaction, cancellationToken);
        if (services.GetService<Threads.ThreadStore>() is { } threads) await threads.EraseClientKeyAsync(client, connection, transaction, cancellationToken);
        await audit.AllowedInAsync(connection, transaction, http, caller, "client.erase", client, "PartnershipAdmin", body.Reason);
        await transaction.CommitAsync(CancellationToken.None);
        return TypedResults.NoContent();
    }

    private async Task<IReadOnlyDictionary<Guid, string>> JustificationsAsync(ClientId client, CancellationToken cancellationToken) =>
        services.GetService<Justifications>() is { } kept ? await kept.OfClientAsync(client, cancellationToken) : new Dictionary<Guid, string>();

    private async Task<Held?> LoadAsync(ClientId client, CancellationToken cancellationToken)
    {
        // Who recorded what is in the events themselves, not in the client's state document: the stream, folded.
        await using var query = store.Marten.QuerySession();
        var events = await query.Events.FetchStreamAsync(client.Value, token: cancellationToken);
        return events.Count == 0 ? null : events.Aggregate(Held.Empty(client), (held, e) => Held.Evolve(held, e.Data));
    }

    /// <summary>The client's sharing state, and who recorded each involvement, consent and objection (what an organisation holds).</summary>
    private sealed record Held(ClientSharing Sharing, ImmutableDictionary<Guid, ActedBy> RecordedBy)
    {
        public static Held Empty(ClientId client) => new(ClientSharing.Empty(client), ImmutableDictionary<Guid, ActedBy>.Empty);

        public static Held Evolve(Held held, object @event) => new(ClientSharing.Evolve(held.Sharing, @event), @event switch
        {
            InvolvementRecorded e when e.Client == held.Sharing.Client => held.RecordedBy.SetItem(e.Involvement.Value, e.By),
            ConsentRecorded e when e.Client == held.Sharing.Client => held.RecordedBy.SetItem(e.Consent.Value, e.By),
            ObjectionRecorded e when e.Client == held.Sharing.Client => held.RecordedBy.SetItem(e.Objection.Value, e.By),
            _ => held.RecordedBy,
        });
    }
}
