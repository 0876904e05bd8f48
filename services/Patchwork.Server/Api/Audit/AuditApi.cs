using System.Buffers.Text;
using Patchwork.Core;
using Patchwork.Core.Clients;

namespace Patchwork.Server.Api.Audit;

public sealed record AuditEntryResponse(
    Guid Id, DateTimeOffset At, Guid? PractitionerId, Guid? PartnerSystemId, Guid OrganisationId, string Action, Guid? ClientId, AuditChannel Channel,
    string? Purpose, AuditOutcome Outcome, string? Rule, Guid? CorrelationId)
{
    public static AuditEntryResponse From(AuditEntry entry) => From(entry, new Dictionary<Guid, string>());

    /// <summary>The entry as a reader sees it: a purpose that refers to a kept justification shows its text, or that it was erased.</summary>
    public static AuditEntryResponse From(AuditEntry entry, IReadOnlyDictionary<Guid, string> justifications)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return new(entry.Id, entry.At, entry.Actor.Kind == EventStore.PrincipalKind.Practitioner ? entry.Actor.Id : null,
            entry.Actor.Kind == EventStore.PrincipalKind.PartnerSystem ? entry.Actor.Id : null, entry.Organisation.Value, entry.Action, entry.Client?.Value,
            entry.Channel, Justifications.ShowPurpose(justifications, entry.Purpose), entry.Outcome, entry.Rule, entry.CorrelationId);
    }
}

/// <summary>Why the client's identity and message bodies are erased: the retention decision, kept in the audit entry.</summary>
public sealed record EraseClientRequest(string? Reason);

public sealed record AuditPageResponse(IReadOnlyList<AuditEntryResponse> Entries, string? NextCursor);

public static class AuditApi
{
    public static RouteGroupBuilder MapAuditApi(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        api.MapGet("/clients/{clientId}/audit", (Guid clientId, string? cursor, int? limit, CurrentActor me, ClientRecords records, HttpContext http, CancellationToken ct) =>
                records.WhoViewedAsync(http, me, new ClientId(clientId), cursor, limit, ct))
            .WithName("WhoViewedClient")
            .WithDescription("Paged, newest first: limit (1 to 200, default 50) and cursor (nextCursor of the previous page).");
        api.MapGet("/clients/{clientId}/export", (Guid clientId, string? cursor, int? limit, CurrentActor me, ClientRecords records, HttpContext http,
                CancellationToken ct) => records.ExportAsync(http, me, new ClientId(clientId), cursor, limit, ct))
            .WithName("ExportClient")
            .WithDescription("The record whole on every page; the access log paged, oldest first: limit (1 to 1000, default 500) and cursor (auditNextCursor of the previous page).");
        api.MapPost("/clients/{clientId}/erasure", (Guid clientId, EraseClientRequest body, CurrentActor me, ClientRecords records, HttpContext http,
                CancellationToken ct) => records.EraseAsync(http, me, new ClientId(clientId), body, ct))
            .WithName("EraseClient");
        return api;
    }

    /// <summary>Opaque to callers: the last entry's id, base64url.</summary>
    internal static string Cursor(Guid after) => Base64Url.EncodeToString(after.ToByteArray(bigEndian: true));

    /// <summary>The export's cursor: the last entry given and the newest entry of the log when the export began.</summary>
    internal static string ExportCursor(Guid after, Guid until) =>
        Base64Url.EncodeToString([.. after.ToByteArray(bigEndian: true), .. until.ToByteArray(bigEndian: true)]);

    internal static bool TryReadExportCursor(string? cursor, out (Guid After, Guid Until)? position)
    {
        position = null;
        if (string.IsNullOrEmpty(cursor)) return true;
        var bytes = new byte[32];
        if (cursor.Length != 43 || !Base64Url.TryDecodeFromChars(cursor, bytes, out var written) || written != 32) return false;
        position = (new Guid(bytes.AsSpan(0, 16), bigEndian: true), new Guid(bytes.AsSpan(16, 16), bigEndian: true));
        return true;
    }

    internal static bool TryReadCursor(string? cursor, out Guid? after)
    {
        after = null;
        if (string.IsNullOrEmpty(cursor)) return true;
        var bytes = new byte[16];
        if (cursor.Length != 22 || !Base64Url.TryDecodeFromChars(cursor, bytes, out var written) || written != 16) return false;
        after = new Guid(bytes, bigEndian: true);
        return true;
    }
}
