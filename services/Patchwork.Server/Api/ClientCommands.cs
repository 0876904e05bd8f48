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

/// <summary>
/// The HTTP door of the client's write pipeline (<see cref="ClientCommandPipeline"/>, which the partner bus shares), for the
/// API and the pages: a slice's use case (<see cref="ClientUseCase{TEvent}"/>) goes to the pipeline with the request's audit
/// entry (and a justification) to commit with the event. The API's endpoints answer with <see cref="HandleAsync"/> (If-Match
/// in; the slice's success with the new ETag, a 400 naming the field, or a problem — 403, 404 (hidden or absent), 409, 412
/// or 503 — out); the pages read the outcome itself (<see cref="CarryOutAsync"/>). Every refusal leaves its audit entry.
/// </summary>
public sealed class ClientCommands(ClientCommandPipeline pipeline, RequestAudit audit, IServiceProvider services)
{
    /// <summary>
    /// The API's answer to a use case: its success with the stream's new version as ETag, a 400 naming the field, or a
    /// problem — 403, 404 (hidden or absent), 409, 412 (stale If-Match) or 503.
    /// </summary>
    public async Task<Results<TSuccess, ValidationProblem, ProblemHttpResult>> HandleAsync<TEvent, TSuccess>(HttpContext http, CurrentActor caller,
        ClientUseCase<TEvent> useCase, Func<TEvent, TSuccess> respond, CancellationToken cancellationToken)
        where TEvent : notnull where TSuccess : IResult
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(useCase);
        ArgumentNullException.ThrowIfNull(respond);
        if (!TryReadIfMatch(http.Request, out var ifMatch)) return ApiProblems.Invalid("If-Match", "give one strong ETag from this API, such as \"3\"");
        if (!CanKeepJustificationOf(useCase)) return ApiProblems.Unavailable(NoPersonalDataStore);

        switch (await CarryOutAsync(http, caller, useCase, ifMatch, cancellationToken))
        {
            case ClientActOutcome<TEvent>.Done done:
                http.Response.Headers.ETag = ETag(done.Version);
                return respond(done.Event);
            case ClientActOutcome<TEvent>.Hidden hidden:
                return ApiProblems.NotFound(hidden.Detail);
            case ClientActOutcome<TEvent>.Stale:
                return ApiProblems.Stale();
            case ClientActOutcome<TEvent>.Refused { Problem: var problem }:
                return ApiProblems.From<TSuccess>(problem);
            default:
                // Another writer got there between the fetch and the save.
                return ifMatch is null ? ApiProblems.ConcurrentChange() : ApiProblems.Stale();
        }
    }

    /// <summary>
    /// Carries out a use case for a signed-in caller or a partner system over HTTP (the API and the pages): hands it to the
    /// pipeline with the request's audit entry (and a justification) to commit with the event, and leaves the refusal's audit
    /// entry when it is not done. The pages read the outcome directly; the API answers with <see cref="HandleAsync"/>.
    /// </summary>
    public async Task<ClientActOutcome<TEvent>> CarryOutAsync<TEvent>(HttpContext http, CurrentActor caller, ClientUseCase<TEvent> useCase,
        long? expectedVersion, CancellationToken cancellationToken)
        where TEvent : notnull
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(useCase);
        var client = useCase.Client;
        var justifications = useCase.Justification is (_, { }) ? services.GetService<Justifications>()
            ?? throw new InvalidOperationException("The personal data store is not configured: a justification cannot be kept.") : null;
        var act = useCase.By(caller.Actor, caller.Viewer, new EventMetadata(Correlation.Of(http), null, caller.Principal, caller.Organisation.Value,
            Channel: RequestAudit.ChannelOf(http) == AuditChannel.Web ? "web" : "api"), expectedVersion);
        var outcome = await pipeline.HandleAsync(act, useCase.Decide, (decided, state, rule) =>
        {
            var statements = new List<Npgsql.NpgsqlBatchCommand>(2);
            string? purpose = null;
            if (useCase.Justification is ({ } justified, { } text))
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
            statements.Add(audit.AllowedStatement(http, caller, useCase.Action, client, rule, purpose, disclosed));
            return statements;
        }, cancellationToken);

        var refusal = outcome switch
        {
            ClientActOutcome<TEvent>.Done => null,
            ClientActOutcome<TEvent>.Hidden hidden => hidden.Reason,
            ClientActOutcome<TEvent>.Stale => "PreconditionFailed",
            ClientActOutcome<TEvent>.Refused { Problem: var problem } => problem.Field is null ? problem.Kind.ToString() : $"{problem.Kind}:{problem.Field}",
            _ => "ConcurrentChange",
        };
        if (refusal is not null) await audit.DeniedAsync(http, caller, useCase.Action, client, refusal, null);
        return outcome;
    }

    public const string NoPersonalDataStore = "the personal data store is not configured";

    /// <summary>Whether this node can keep the use case's free-text justification (it has one only when the personal data store is configured).</summary>
    public bool CanKeepJustificationOf<TEvent>(ClientUseCase<TEvent> useCase) where TEvent : notnull =>
        useCase.Justification is not (_, { }) || services.GetService<Justifications>() is not null;

    public static string ETag(long version) => $"\"{version.ToString(CultureInfo.InvariantCulture)}\"";

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
