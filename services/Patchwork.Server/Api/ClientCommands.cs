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
/// The HTTP door of the client's write pipeline (<see cref="ClientCommandPipeline"/>, which the partner bus shares): reads
/// If-Match, hands the act to the pipeline with the request's audit entry (and a justification) to commit with the event, and
/// maps the outcome: the slice's success with the new ETag, a 400 naming the field, or a problem — 403, 404 (hidden or
/// absent), 409, 412 (stale If-Match) or 503. Every refusal leaves its audit entry.
/// </summary>
public sealed class ClientCommands(ClientCommandPipeline pipeline, RequestAudit audit, IServiceProvider services)
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
        var justifications = services.GetService<Justifications>();
        if (command.Justification is (_, { }) && justifications is null) return ApiProblems.Unavailable("the personal data store is not configured");

        var act = new ClientAct(caller.Actor, caller.Viewer, client, new EventMetadata(Correlation.Of(http), null, caller.Principal, caller.Organisation.Value,
            Channel: RequestAudit.ChannelOf(http) == AuditChannel.Web ? "web" : "api"))
        {
            Involvement = command.Involvement, OpenToAnyone = command.OpenToAnyone, ExpectedVersion = ifMatch,
        };
        var outcome = await pipeline.HandleAsync(act, decide, (decided, state, rule) =>
        {
            var statements = new List<Npgsql.NpgsqlBatchCommand>(2);
            var purpose = command.Purpose;
            if (command.Justification is ({ } justified, { } text))
            {
                // The decision has checked the text; it is personal data, so it goes where erasure reaches, never the log or the trail.
                statements.Add(justifications!.Statement(client, justified, text.Trim()));
                purpose = Justifications.Purpose(justified);
            }
            // Break-glass opens every involvement to the grantee: its entry names the organisations whose records it opens, so
            // their DPOs find it in "who viewed" (DESIGN.md §3, rule 10), as they are told of it live.
            IReadOnlyList<OrganisationId> disclosed = decided is BreakGlassGranted
                ? [.. state.Involvements.Values.Select(i => i.Organisation).Where(o => o != caller.Organisation).Distinct().OrderBy(o => o.Value)]
                : [];
            statements.Add(audit.AllowedStatement(http, caller, command.Action, client, rule, purpose, disclosed));
            return statements;
        }, cancellationToken);

        switch (outcome)
        {
            case ClientActOutcome<TEvent>.Done done:
                http.Response.Headers.ETag = ETag(done.Version);
                return respond(done.Event);
            case ClientActOutcome<TEvent>.Hidden hidden:
                return await DeniedAsync(command, hidden.Reason, ApiProblems.NotFound(hidden.Detail));
            case ClientActOutcome<TEvent>.Stale:
                return await DeniedAsync(command, "PreconditionFailed", ApiProblems.Stale());
            case ClientActOutcome<TEvent>.Refused { Problem: var problem }:
                return await DeniedAsync(command, problem.Field is null ? problem.Kind.ToString() : $"{problem.Kind}:{problem.Field}", ApiProblems.From<TSuccess>(problem));
            default:
                // Another writer got there between the fetch and the save.
                return await DeniedAsync(command, "ConcurrentChange", ifMatch is null ? ApiProblems.ConcurrentChange() : ApiProblems.Stale());
        }
    }

    public static string ETag(long version) => $"\"{version.ToString(CultureInfo.InvariantCulture)}\"";

    private async Task<TAnswer> DeniedAsync<TAnswer>(ClientCommand command, string reason, TAnswer answer)
    {
        await audit.DeniedAsync(command.Http, command.Caller, command.Action, command.Client, reason, command.Purpose);
        return answer;
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
