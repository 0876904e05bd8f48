using Patchwork.Core;
using Patchwork.EventStore;

namespace Patchwork.Server.Api.Audit;

/// <summary>Writes the one audit entry of an API request, with the request's correlation id and the clock's now.</summary>
public sealed class RequestAudit(AuditTrail trail, TimeProvider clock)
{
    private static readonly object ChannelKey = new();

    /// <summary>The pages mark their requests, so that the same reads and commands are audited as made through the web.</summary>
    public static void MarkChannel(HttpContext http, AuditChannel channel)
    {
        ArgumentNullException.ThrowIfNull(http);
        http.Items[ChannelKey] = channel;
    }

    /// <summary>The channel the request is audited under: web for the pages, FHIR for that door, the API otherwise.</summary>
    public static AuditChannel ChannelOf(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        return http.Items[ChannelKey] as AuditChannel? ?? AuditChannel.Api;
    }

    public Task AllowedAsync(HttpContext http, CurrentActor caller, string action, ClientId? client, string? rule, string? purpose = null) =>
        WriteAsync(http, caller, action, client, AuditOutcome.Allowed, rule, purpose);

    public Task DeniedAsync(HttpContext http, CurrentActor caller, string action, ClientId? client, string? reason, string? purpose = null) =>
        WriteAsync(http, caller, action, client, AuditOutcome.Denied, reason, purpose);

    /// <summary>
    /// An allowed read that disclosed other organisations' records (a subject access export holding their involvements):
    /// they are named in its one entry, so each one's data protection officer finds it among their own (DESIGN.md §3, rule 10).
    /// </summary>
    public Task AllowedDisclosingAsync(HttpContext http, CurrentActor caller, string action, ClientId client, string rule, string? purpose,
        IReadOnlyList<OrganisationId> disclosed) =>
        trail.RecordAsync(Entry(http, caller, action, client, AuditOutcome.Allowed, rule, purpose) with { DisclosedOrganisations = disclosed },
            CancellationToken.None);

    /// <summary>
    /// The allowed change's entry as a statement for the transaction that saves a Marten session's events
    /// (<see cref="StatementsBeforeCommit"/>): a change is never stored without its audit entry, nor audited as allowed when
    /// its save was refused (that request is audited as denied).
    /// </summary>
    public Npgsql.NpgsqlBatchCommand AllowedStatement(HttpContext http, CurrentActor caller, string action, ClientId? client, string? rule, string? purpose,
        IReadOnlyList<OrganisationId> disclosed) =>
        trail.Statement(Entry(http, caller, action, client, AuditOutcome.Allowed, rule, purpose) with { DisclosedOrganisations = disclosed });

    /// <summary>The allowed change's entry, written after Marten's save in the write transaction that commits its events.</summary>
    public void AllowedWith(WriteTransaction write, HttpContext http, CurrentActor caller, string action, ClientId? client, string? rule, string? purpose = null)
    {
        ArgumentNullException.ThrowIfNull(write);
        write.AfterSave(trail.Statement(Entry(http, caller, action, client, AuditOutcome.Allowed, rule, purpose)));
    }

    /// <summary>The allowed change's entry in the transaction that makes a change outside the log (erasure): both or neither.</summary>
    public Task AllowedInAsync(Npgsql.NpgsqlConnection connection, Npgsql.NpgsqlTransaction transaction, HttpContext http, CurrentActor caller, string action,
        ClientId? client, string? rule, string? purpose = null) =>
        trail.RecordAsync(Entry(http, caller, action, client, AuditOutcome.Allowed, rule, purpose), connection, transaction, CancellationToken.None);

    // Not the request's abort token: a client that hangs up must not leave an access unrecorded.
    private Task WriteAsync(HttpContext http, CurrentActor caller, string action, ClientId? client, AuditOutcome outcome, string? rule, string? purpose) =>
        trail.RecordAsync(Entry(http, caller, action, client, outcome, rule, purpose), CancellationToken.None);

    private AuditEntry Entry(HttpContext http, CurrentActor caller, string action, ClientId? client, AuditOutcome outcome, string? rule, string? purpose)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(caller);
        var now = clock.GetUtcNow();
        return new AuditEntry(Guid.CreateVersion7(now), now, caller.Principal, caller.Organisation, action, client,
            ChannelOf(http),
            // A purpose refused as not plain text (a NUL cannot even be stored) is left out; the reason names the field.
            Text.IsPlain(purpose, multiLine: true) ? purpose : null, outcome, rule, Correlation.Of(http));
    }
}
