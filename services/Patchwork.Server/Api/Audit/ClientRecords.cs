using Patchwork.Core;
using Patchwork.Core.Clients;
using Patchwork.EventStore;

namespace Patchwork.Server.Api.Audit;

/// <summary>
/// "Who viewed this client" and the subject access export. Whoever may not read them gets 404, as if the client did not
/// exist: the audit of a client says who works with them.
/// </summary>
public sealed class ClientRecords(EventStore.EventStore store, AuditTrail trail, RequestAudit audit, TimeProvider clock, IServiceProvider services)
{
    private const int DefaultPage = 50;
    private const int LargestPage = 200;
    private const int DefaultExportPage = 500;
    private const int LargestExportPage = 1000;

    /// <summary>
    /// Partnership admins see every entry; a DPO of an organisation involved with the client sees every entry; a practitioner
    /// with an active involvement sees their own organisation's entries only.
    /// </summary>
    public async Task<IResult> WhoViewedAsync(HttpContext http, CurrentActor caller, ClientId client, string? cursor, int? limit, CancellationToken cancellationToken)
    {
        if (!AuditApi.TryReadCursor(cursor, out var after)) return ApiProblems.Invalid("cursor", "is not a cursor this API gave");
        if (limit is < 1 or > LargestPage) return ApiProblems.Invalid("limit", $"is between 1 and {LargestPage}");
        var sharing = await LoadAsync(client, cancellationToken);
        OrganisationId? only = null;
        var allowed = sharing is not null && caller.Actor is Actor.Practitioner me && (
            me.Holds(Roles.PartnershipAdmin)
            || (me.Holds(Roles.DataProtectionOfficer) && sharing.Involvements.Values.Any(i => i.Organisation == me.Organisation))
            || (sharing.Involvements.Values.Any(i => i.Practitioner == me.Id && i.IsActive) && (only = me.Organisation) is not null));
        if (!allowed)
        {
            await audit.DeniedAsync(http, caller, "client.audit.read", client, sharing is null ? "NoSuchClient" : "NotEntitled");
            return ApiProblems.NoSuchClient();
        }

        var count = limit ?? DefaultPage;
        var page = await trail.PageAsync(client, only, after, count + 1, cancellationToken);
        await audit.AllowedAsync(http, caller, "client.audit.read", client, only is null ? "AllEntries" : "OwnOrganisationEntries");
        var justifications = await JustificationsAsync(client, cancellationToken);
        return TypedResults.Ok(new AuditPageResponse([.. page.Take(count).Select(e => AuditEntryResponse.From(e, justifications))],
            page.Count > count ? AuditApi.Cursor(page[count - 1].Id) : null));
    }

    /// <summary>
    /// Everything held about the client, for a DPO of an involved organisation or a partnership admin. The access log is
    /// paged (oldest first, <paramref name="limit"/> entries, then <c>auditNextCursor</c>); the rest comes whole on every page.
    /// </summary>
    public async Task<IResult> ExportAsync(HttpContext http, CurrentActor caller, ClientId client, string? cursor, int? limit, CancellationToken cancellationToken)
    {
        if (!AuditApi.TryReadExportCursor(cursor, out var position)) return ApiProblems.Invalid("cursor", "is not a cursor this API gave");
        if (limit is < 1 or > LargestExportPage) return ApiProblems.Invalid("limit", $"is between 1 and {LargestExportPage}");
        var sharing = await LoadAsync(client, cancellationToken);
        var vault = services.GetService<ClientIdentityVault>();
        var identity = vault is null ? null : await vault.ReadAsync(client, cancellationToken);
        var allowed = (sharing is not null || identity is not null) && caller.Actor is Actor.Practitioner me && (
            me.Holds(Roles.PartnershipAdmin)
            || (me.Holds(Roles.DataProtectionOfficer) && sharing?.Involvements.Values.Any(i => i.Organisation == me.Organisation) == true));
        if (!allowed)
        {
            await audit.DeniedAsync(http, caller, "client.export", client, sharing is null && identity is null ? "NoSuchClient" : "NotEntitled");
            return ApiProblems.NoSuchClient();
        }

        // The export's own entry is written first, so the export includes the access that produced it.
        await audit.AllowedAsync(http, caller, "client.export", client, "SubjectAccess");
        var count = limit ?? DefaultExportPage;
        // The log as it stood at the first page (its own entry included): each page adds an entry, and paging must end.
        var until = position?.Until ?? await trail.LatestAsync(client, cancellationToken);
        var entries = await trail.PageForwardAsync(client, position?.After, until, count + 1, cancellationToken);
        return TypedResults.Ok(SubjectAccessExport.From(client, clock.GetUtcNow(), identity, sharing ?? ClientSharing.Empty(client), [.. entries.Take(count)],
            await JustificationsAsync(client, cancellationToken), entries.Count > count ? AuditApi.ExportCursor(entries[count - 1].Id, until) : null));
    }

    /// <summary>
    /// Erasure (DESIGN.md §6), by a partnership admin once no involvement with the client is active: the identity and the
    /// key every message body of theirs is sealed under go in one transaction with the audit entry; the events (ids, times,
    /// the sharing skeleton) and the audit trail stay, so counts and the record of access survive without personal data.
    /// Anyone else gets 404, as for the export. Erasing again erases nothing more and is answered the same.
    /// </summary>
    public async Task<IResult> EraseAsync(HttpContext http, CurrentActor caller, ClientId client, EraseClientRequest body, CancellationToken cancellationToken)
    {
        var sharing = await LoadAsync(client, cancellationToken);
        var vault = services.GetService<ClientIdentityVault>();
        var exists = sharing is not null || (vault is not null && await vault.ReadAsync(client, cancellationToken) is not null);
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

    private async Task<ClientSharing?> LoadAsync(ClientId client, CancellationToken cancellationToken)
    {
        var stream = await store.OpenSession().FetchForWritingAsync(client.Value, ClientSharing.Empty(client), ClientSharing.Evolve, cancellationToken);
        return stream.Exists ? stream.State : null;
    }
}
