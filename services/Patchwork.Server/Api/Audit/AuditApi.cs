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
    private AuditEntryResponse(AuditEntry entry, string? rule, string? purpose)
    {
        Id = entry.Id;
        At = entry.At;
        PractitionerId = entry.Actor.Kind == EventStore.PrincipalKind.Practitioner ? entry.Actor.Id : null;
        PartnerSystemId = entry.Actor.Kind == EventStore.PrincipalKind.PartnerSystem ? entry.Actor.Id : null;
        OrganisationId = entry.Organisation.Value;
        Action = entry.Action;
        ClientId = entry.Client?.Value;
        Channel = entry.Channel;
        Purpose = purpose;
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

    public static AuditEntryResponse For(AuditEntry entry, AuditDetail detail) => For(entry, detail, new Dictionary<Guid, string>());

    /// <summary>
    /// The one way an entry leaves the server: in full for a partnership admin, otherwise with its rule reduced to its
    /// family; a purpose that refers to a kept justification shows its text, or that it was erased.
    /// </summary>
    public static AuditEntryResponse For(AuditEntry entry, AuditDetail detail, IReadOnlyDictionary<Guid, string> justifications)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return new(entry, detail == AuditDetail.Full ? entry.Rule : AuditRuleFamilies.Of(entry.Outcome, entry.Rule),
            Justifications.ShowPurpose(justifications, entry.Purpose));
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
        api.MapGet("/clients/{clientId}/export", (Guid clientId, string? purpose, string? cursor, int? limit, CurrentActor me, ClientRecords records,
                HttpContext http, CancellationToken ct) => records.ExportAsync(http, me, new ClientId(clientId), purpose, cursor, limit, ct))
            .WithName("ExportClient")
            .WithDescription("purpose is required. The record whole on every page; the access log paged, oldest first: limit (1 to 1000, default 500) and cursor (auditNextCursor of the previous page).");
        api.MapGet("/clients/{clientId}/export.fhir", (Guid clientId, string? purpose, CurrentActor me, ClientRecords records, HttpContext http,
                SignIn.PractitionerSignInOptions options, CancellationToken ct) =>
                Fhir.SubjectAccessBundle.ExportAsync(http, me, records, options, new ClientId(clientId), purpose, ct))
            // A FHIR resource says nothing of itself in the document: the Bundle's media type is declared here.
            .WithName("ExportClientAsFhir").Produces<System.Text.Json.Nodes.JsonObject>(StatusCodes.Status200OK, Fhir.FhirApi.MediaType)
            .WithDescription("purpose is required. The same export as FHIR R4 (application/fhir+json): a collection Bundle of the Patient, the CareTeam, " +
                             "Consents, an AuditEvent for every access and Provenance, the access log whole. Refusals are the export's (404, 400 naming purpose).");
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
