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
        return TypedResults.Ok(new AuditPageResponse([.. page.Take(count).Select(AuditEntryResponse.From)],
            page.Count > count ? AuditApi.Cursor(page[count - 1].Id) : null));
    }

    /// <summary>Everything held about the client, for a DPO of an involved organisation or a partnership admin.</summary>
    public async Task<IResult> ExportAsync(HttpContext http, CurrentActor caller, ClientId client, CancellationToken cancellationToken)
    {
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
        var entries = await trail.AllAsync(client, cancellationToken);
        return TypedResults.Ok(SubjectAccessExport.From(client, clock.GetUtcNow(), identity, sharing ?? ClientSharing.Empty(client), entries));
    }

    private async Task<ClientSharing?> LoadAsync(ClientId client, CancellationToken cancellationToken)
    {
        var stream = await store.OpenSession().FetchForWritingAsync(client.Value, ClientSharing.Empty(client), ClientSharing.Evolve, cancellationToken);
        return stream.Exists ? stream.State : null;
    }
}
