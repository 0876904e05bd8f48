using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Patchwork.Core;
using Patchwork.Core.Access;
using Patchwork.Core.BreakGlass;
using Patchwork.Core.Clients;
using Patchwork.EventStore;
using Patchwork.Server.Api.Audit;
using Patchwork.Server.Api.Clients;

namespace Patchwork.Server.Api;

/// <summary>One command on a client's stream, as an endpoint describes it.</summary>
public sealed record ClientCommand(HttpContext Http, CurrentActor Caller, ClientId Client, string Action)
{
    /// <summary>The involvement the command names; someone the policy does not let see it gets 404, as if it did not exist.</summary>
    public InvolvementId? Involvement { get; init; }

    /// <summary>
    /// For acts a practitioner may take on a client found by search (recording an involvement, breaking glass): the
    /// client need only exist. Every other act needs the caller to see something of the client, or it is a 404.
    /// </summary>
    public bool OpenToAnyone { get; init; }

    /// <summary>The purpose the caller stated, for the audit entry.</summary>
    public string? Purpose { get; init; }

    /// <summary>
    /// A free-text justification to keep, erasably, under the id the event names (a grant's, a basis's), in the transaction
    /// that appends the event; the audit entry's purpose then refers to it rather than copying it into the trail.
    /// </summary>
    public (Guid Id, string? Text)? Justification { get; init; }
}

/// <summary>
/// The command pipeline for client slices, on Marten's session: fetch the client's stream for writing (its inline state and
/// version) with the partnership in one round trip, hide what the policy hides, check If-Match, decide with the clock's
/// now, append to the fetched stream (Marten insists on the version fetched) with the audit entry in the same
/// transaction, and answer with the new ETag. The answer is the slice's success, a 400 naming the field, or a
/// problem: 403, 404 (hidden or absent), 409, 412 (stale If-Match) or 503.
/// </summary>
public sealed class ClientCommands(
    EventStore.EventStore store, ClientTeamReader reader, PolicyOptions policy, TimeProvider clock, RequestAudit audit, IServiceProvider services)
{
    public async Task<Results<TSuccess, ValidationProblem, ProblemHttpResult>> HandleAsync<TEvent, TSuccess>(ClientCommand command,
        Func<ClientSharing, Partnership, DateTimeOffset, Result<TEvent>> decide, Func<TEvent, TSuccess> respond, CancellationToken cancellationToken)
        where TEvent : notnull where TSuccess : IResult
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(decide);
        ArgumentNullException.ThrowIfNull(respond);
        var (http, caller, client) = (command.Http, command.Caller, command.Client);
        if (!TryReadIfMatch(http.Request, out var ifMatch)) return ApiProblems.Invalid("If-Match", "give one strong ETag from this API, such as \"3\"");

        // No client has the empty id (Marten refuses it as a stream id): nothing to fetch, as for any unknown client.
        if (client.Value == Guid.Empty) return await DeniedAsync(command, "NoSuchClient", ApiProblems.NotFound("no such client"));

        var now = clock.GetUtcNow();
        await using var session = store.OpenWriteSession(new EventMetadata(Correlation.Of(http), null, caller.Principal, caller.Organisation.Value,
            Channel: RequestAudit.ChannelOf(http) == AuditChannel.Web ? "web" : "api"));
        // Marten's FetchForWriting: the client's inline state and the version its save will insist on, with the partnership.
        var (stream, partnership) = await reader.FetchForWritingAsync(session, client, cancellationToken);
        var state = stream.Aggregate?.Sharing ?? ClientSharing.Empty(client);
        var version = stream.CurrentVersion ?? 0;

        // The policy first, If-Match after it: a stale ETag must not tell someone the policy hides anything that the client exists.
        var (hidden, rule) = await AdmitAsync(command, state, exists: version > 0, partnership, now, cancellationToken);
        if (hidden is { } refused)
            return await DeniedAsync(command, refused.Reason, ApiProblems.NotFound(refused.Detail));
        if (ifMatch is { } expected && expected != version)
            return await DeniedAsync(command, "PreconditionFailed", ApiProblems.Stale());

        var decision = decide(state, partnership, now);
        if (decision.Problem is { } problem)
            return await DeniedAsync(command, problem.Field is null ? problem.Kind.ToString() : $"{problem.Kind}:{problem.Field}", ApiProblems.From<TSuccess>(problem));

        stream.AppendOne(decision.Value);
        var statements = new List<Npgsql.NpgsqlBatchCommand>(2);
        var purpose = command.Purpose;
        if (command.Justification is ({ } justified, { } text))
        {
            // The decision has checked the text; it is personal data, so it goes where erasure reaches, never the log or the trail.
            if (services.GetService<Justifications>() is not { } justifications) return ApiProblems.Unavailable("the personal data store is not configured");
            statements.Add(justifications.Statement(client, justified, text.Trim()));
            purpose = Justifications.Purpose(justified);
        }
        // Break-glass opens every involvement to the grantee: its entry names the organisations whose records it opens, so
        // their DPOs find it in "who viewed" (DESIGN.md §3, rule 10), as they are told of it live.
        IReadOnlyList<OrganisationId> disclosed = decision.Value is BreakGlassGranted
            ? [.. state.Involvements.Values.Select(i => i.Organisation).Where(o => o != caller.Organisation).Distinct().OrderBy(o => o.Value)]
            : [];
        statements.Add(audit.AllowedStatement(http, caller, command.Action, client, rule, purpose, disclosed));
        // The audit entry (and the justification) in Marten's transaction, after the event and the state it folds into.
        StatementsBeforeCommit.Join(session, statements);
        try
        {
            await session.SaveChangesAsync(cancellationToken);
        }
        catch (Exception e) when (EventSession.IsConcurrencyRefusal(e))
        {
            // Another writer got there between the fetch and the save: Marten insists on the version fetched.
            return await DeniedAsync(command, "ConcurrentChange", ifMatch is null ? ApiProblems.ConcurrentChange() : ApiProblems.Stale());
        }

        http.Response.Headers.ETag = ETag(version + 1);
        return respond(decision.Value);
    }

    public static string ETag(long version) => $"\"{version.ToString(CultureInfo.InvariantCulture)}\"";

    private async Task<TAnswer> DeniedAsync<TAnswer>(ClientCommand command, string reason, TAnswer answer)
    {
        await audit.DeniedAsync(command.Http, command.Caller, command.Action, command.Client, reason, command.Purpose);
        return answer;
    }

    /// <summary>
    /// Whether the policy hides the client (or the involvement named) from the caller, and if not, the rule that let the
    /// caller act, for the audit entry: a registered client for acts open to anyone, otherwise the policy's rules for
    /// what the caller sees of the team, and the rule that shows the involvement named.
    /// </summary>
    private async Task<((string Reason, string Detail)? Hidden, string Rule)> AdmitAsync(ClientCommand command, ClientSharing state, bool exists,
        Partnership partnership, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var viewer = command.Caller.Viewer;
        if (!exists)
        {
            var vault = services.GetService<ClientIdentityVault>();
            var registered = command.OpenToAnyone && vault is not null && await vault.ReadAsync(command.Client, cancellationToken) is not null;
            return registered ? (null, "RegisteredClient") : (("NoSuchClient", "no such client"), "NoSuchClient");
        }
        var rule = "RegisteredClient";
        if (!command.OpenToAnyone)
        {
            var team = AccessPolicy.TeamOf(state, partnership, viewer, now, policy);
            var decisions = AccessPolicy.DecideAll(state, partnership, viewer, now, policy);
            if (team.Visible.IsEmpty && team.Masked.IsEmpty) return ((TeamReads.Reasons(decisions), "no such client"), "NoSuchClient");
            rule = "SeesClient(" + TeamReads.Rules(decisions) + ")";
        }
        if (command.Involvement is { } involvement)
        {
            if (AccessPolicy.Decide(state, partnership, viewer, involvement, now, policy) is not { IsVisible: true } shown)
                return (("InvolvementNotVisible", "no such involvement with this client"), "InvolvementNotVisible");
            rule += ";Involvement:" + shown.Rule;
        }
        return (null, rule);
    }

    /// <summary>Absent is null; a strong ETag is its version; anything else is refused rather than guessed at.</summary>
    private static bool TryReadIfMatch(HttpRequest request, out long? version)
    {
        version = null;
        var header = request.Headers.IfMatch.ToString();
        if (header.Length == 0) return true;
        if (header.Length > 2 && header[0] == '"' && header[^1] == '"' &&
            long.TryParse(header.AsSpan(1, header.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
        {
            version = parsed;
            return true;
        }
        return false;
    }
}
