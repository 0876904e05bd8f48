using System.Buffers.Text;
using Patchwork.Core;
using Patchwork.Core.Clients;

namespace Patchwork.Server.Api.Audit;

/// <summary>
/// One audit entry as shown to someone. Made only by <see cref="For"/>, which applies DESIGN.md §3 rule 11: anyone but a
/// partnership admin is told allowed or refused and the rule family, never the policy's internals about what was hidden.
/// </summary>
public sealed record AuditEntryResponse
{
    private AuditEntryResponse(AuditEntry entry, string? rule)
    {
        Id = entry.Id;
        At = entry.At;
        PractitionerId = entry.Actor.Kind == EventStore.PrincipalKind.Practitioner ? entry.Actor.Id : null;
        PartnerSystemId = entry.Actor.Kind == EventStore.PrincipalKind.PartnerSystem ? entry.Actor.Id : null;
        OrganisationId = entry.Organisation.Value;
        Action = entry.Action;
        ClientId = entry.Client?.Value;
        Channel = entry.Channel;
        Purpose = entry.Purpose;
        Outcome = entry.Outcome;
        Rule = rule;
        CorrelationId = entry.CorrelationId;
    }

    public Guid Id { get; }

    public DateTimeOffset At { get; }

    public Guid? PractitionerId { get; }

    public Guid? PartnerSystemId { get; }

    public Guid OrganisationId { get; }

    public string Action { get; }

    public Guid? ClientId { get; }

    public AuditChannel Channel { get; }

    public string? Purpose { get; }

    public AuditOutcome Outcome { get; }

    public string? Rule { get; }

    public Guid? CorrelationId { get; }

    /// <summary>The one way an entry leaves the server: in full for a partnership admin, otherwise with its rule reduced to its family.</summary>
    public static AuditEntryResponse For(AuditEntry entry, AuditDetail detail)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return new(entry, detail == AuditDetail.Full ? entry.Rule : AuditRuleFamilies.Of(entry.Outcome, entry.Rule));
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
            .WithName("WhoViewedClient");
        api.MapGet("/clients/{clientId}/export", (Guid clientId, string? purpose, CurrentActor me, ClientRecords records, HttpContext http, CancellationToken ct) =>
                records.ExportAsync(http, me, new ClientId(clientId), purpose, ct))
            .WithName("ExportClient");
        api.MapPost("/clients/{clientId}/erasure", (Guid clientId, EraseClientRequest body, CurrentActor me, ClientRecords records, HttpContext http,
                CancellationToken ct) => records.EraseAsync(http, me, new ClientId(clientId), body, ct))
            .WithName("EraseClient");
        return api;
    }

    /// <summary>Opaque to callers: the last entry's id, base64url.</summary>
    internal static string Cursor(Guid after) => Base64Url.EncodeToString(after.ToByteArray(bigEndian: true));

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
