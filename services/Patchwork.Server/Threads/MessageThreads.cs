using Microsoft.AspNetCore.Http.HttpResults;
using Patchwork.Core;
using Patchwork.Core.Access;
using Patchwork.Core.Clients;
using Patchwork.Core.Threads;
using Patchwork.Core.Threads.Posting;
using Patchwork.Core.Threads.Starting;
using Patchwork.Core.Threads.Withdrawing;
using Patchwork.EventStore;
using Patchwork.Server.Api;
using Patchwork.Server.Api.Audit;
using Patchwork.Server.Api.Clients;

namespace Patchwork.Server.Threads;

/// <summary>
/// Threads about a client, for the API and the pages alike. Every read and every write asks <see cref="ThreadAccess"/>
/// (the one policy) at that moment and leaves one audit entry, allowed or denied; a thread the caller may not read is a
/// 404, as if it did not exist. Events carry ids only; bodies are sealed in <see cref="ThreadStore"/> in the same transaction.
/// </summary>
public sealed class MessageThreads(EventStore.EventStore store, ThreadStore threads, ClientTeamReader reader, PolicyOptions policy,
    TimeProvider clock, RequestAudit audit)
{
    public async Task<Results<Created<StartedThreadResponse>, ValidationProblem, ProblemHttpResult>> StartAsync(HttpContext http, CurrentActor me, ClientId client,
        StartThreadRequest body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        var command = new StartThread(ThreadId.New(), client, MessageId.New(), [.. (body.Participants ?? []).Select(p => new PractitionerId(p))]);
        var started = await CarryOutAsync(http, me, Starting.UseCase(command, body.Message, me.Actor), cancellationToken);
        return started.Problem is { } problem ? ApiProblems.From<Created<StartedThreadResponse>>(problem)
            : TypedResults.Created($"/api/v1/clients/{client.Value}/threads/{command.Thread.Value}", new StartedThreadResponse(command.Thread.Value, command.FirstMessage.Value));
    }

    public async Task<Results<Ok<ThreadListResponse>, ProblemHttpResult>> ListAsync(HttpContext http, CurrentActor me, ClientId client, CancellationToken cancellationToken) =>
        Private(http, await ThreadsOfAsync(http, me, client, cancellationToken));

    /// <summary>The one list of a client's threads, for the API and the pages: those the caller is admitted to at this moment, audited.</summary>
    public async Task<Result<ThreadListResponse>> ThreadsOfAsync(HttpContext http, CurrentActor me, ClientId client, CancellationToken cancellationToken)
    {
        const string action = "thread.list";
        var (sharing, partnership) = await reader.LoadAsync(client, cancellationToken);
        var now = clock.GetUtcNow();
        if (Unseen(sharing, partnership, me, now) is { } unseen) return await DeniedAsync(http, me, action, client, unseen, Problem.NotFound("no such client"));
        var caller = Caller(me);
        var mine = (await threads.OfClientAsync(client, cancellationToken)).Where(t => ThreadAccess.Admits(t, sharing!, partnership, caller, now, policy)).ToList();
        var summaries = await threads.SummariesAsync([.. mine.Select(t => t.Id)], caller.Practitioner, cancellationToken);
        await audit.AllowedAsync(http, me, action, client, $"ParticipantWhoSeesStarter:{mine.Count}");
        return new ThreadListResponse([.. mine.Select(t =>
        {
            var (count, latest, unread) = summaries.GetValueOrDefault(t.Id);
            return new ThreadSummaryResponse(t.Id.Value, t.Starter.Practitioner.Value, [.. t.Participants.Select(p => p.Practitioner.Value)], t.StartedAt,
                count, latest, unread);
        })]);
    }

    public async Task<Results<Ok<ThreadResponse>, ProblemHttpResult>> ReadAsync(HttpContext http, CurrentActor me, ClientId client, ThreadId thread,
        CancellationToken cancellationToken) =>
        Private(http, await ThreadAsync(http, me, client, thread, cancellationToken));

    /// <summary>The one read of a thread, for the API and the pages: its messages, to a participant admitted at this moment, audited.</summary>
    public async Task<Result<ThreadResponse>> ThreadAsync(HttpContext http, CurrentActor me, ClientId client, ThreadId thread, CancellationToken cancellationToken)
    {
        var admitted = await AdmittedAsync(http, me, "thread.read", client, thread, cancellationToken);
        if (admitted.Problem is { } problem) return problem;
        var (found, sharing, _, rule) = admitted.Value;
        var messages = await threads.MessagesAsync(found, cancellationToken);
        await audit.AllowedAsync(http, me, "thread.read", client, rule);
        return ThreadResponse.From(found, messages, sharing);
    }

    public async Task<Results<Ok<MarkedReadResponse>, ProblemHttpResult>> MarkReadAsync(HttpContext http, CurrentActor me, ClientId client, ThreadId thread,
        CancellationToken cancellationToken)
    {
        var marked = await MarkAsReadAsync(http, me, client, thread, cancellationToken);
        return marked.Problem is { } problem ? ApiProblems.NotFound(problem.Detail) : TypedResults.Ok(new MarkedReadResponse(marked.Value));
    }

    /// <summary>Marks the thread's messages read by the caller, if admitted at this moment; how many it marked.</summary>
    public async Task<Result<int>> MarkAsReadAsync(HttpContext http, CurrentActor me, ClientId client, ThreadId thread, CancellationToken cancellationToken)
    {
        var admitted = await AdmittedAsync(http, me, "thread.mark-read", client, thread, cancellationToken);
        if (admitted.Problem is { } problem) return problem;
        var marked = await threads.MarkReadAsync(thread, Caller(me).Practitioner, clock.GetUtcNow(), cancellationToken);
        await audit.AllowedAsync(http, me, "thread.mark-read", client, admitted.Value.Rule);
        return marked;
    }

    /// <summary>A thread read's answer: never cached, and "not found" for every refusal (a read refuses only by not admitting).</summary>
    private static Results<Ok<T>, ProblemHttpResult> Private<T>(HttpContext http, Result<T> read)
    {
        if (read.Problem is { } problem) return ApiProblems.NotFound(problem.Detail);
        http.Response.Headers.CacheControl = "private, no-store";
        return TypedResults.Ok(read.Value);
    }

    public async Task<Results<Created<PostedMessageResponse>, ValidationProblem, ProblemHttpResult>> PostAsync(HttpContext http, CurrentActor me, ClientId client,
        ThreadId thread, PostMessageRequest body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        var posted = await CarryOutAsync(http, me, Posting.UseCase(client, new PostMessage(thread, MessageId.New(), body.Body ?? ""), me.Actor), cancellationToken);
        return posted.Problem is { } problem ? ApiProblems.From<Created<PostedMessageResponse>>(problem)
            : TypedResults.Created($"/api/v1/clients/{client.Value}/threads/{thread.Value}#message-{posted.Value.Message.Value}",
                new PostedMessageResponse(posted.Value.Message.Value));
    }

    public async Task<Results<Ok<PostedMessageResponse>, ValidationProblem, ProblemHttpResult>> WithdrawAsync(HttpContext http, CurrentActor me, ClientId client,
        ThreadId thread, MessageId message, CancellationToken cancellationToken)
    {
        var withdrawn = await CarryOutAsync(http, me, Withdrawing.UseCase(client, thread, message, me.Actor), cancellationToken);
        return withdrawn.Problem is { } problem ? ApiProblems.From<Ok<PostedMessageResponse>>(problem) : TypedResults.Ok(new PostedMessageResponse(message.Value));
    }

    /// <summary>
    /// The threads' one write pipeline, for the API and the pages: admits the caller to the thread (or, to start one, to the
    /// client) under the policy at this moment, finds the message acted on, lets the slice decide, then appends its events,
    /// seals the body beside them and records the audit entry in one transaction. Every refusal is audited with its reason;
    /// a thread or message the caller may not reach is "not found", as if it did not exist.
    /// </summary>
    public async Task<Result<TEvent>> CarryOutAsync<TEvent>(HttpContext http, CurrentActor me, ThreadUseCase<TEvent> useCase, CancellationToken cancellationToken)
        where TEvent : notnull
    {
        ArgumentNullException.ThrowIfNull(useCase);
        var (client, action) = (useCase.Client, useCase.Action);
        var now = clock.GetUtcNow();
        ThreadScene scene;
        if (useCase.Thread is { } thread)
        {
            var admitted = await AdmitAsync(me, client, thread, cancellationToken);
            if (admitted.Thread is not { } entered) return await DeniedAsync(http, me, action, client, admitted.Reason!, admitted.Problem!);
            var (found, sharing, partnership, rule) = entered;
            PostedMessage? message = null;
            if (useCase.Message is { } id)
            {
                if (await threads.MessageAsync(id, cancellationToken) is not { } stored || stored.Thread != thread)
                    return await DeniedAsync(http, me, action, client, "NoSuchMessage", Problem.NotFound("no such message in this thread"));
                message = stored.Message;
            }
            scene = new ThreadScene(sharing, partnership, found, rule, message, now, policy);
        }
        else
        {
            var (sharing, partnership) = await reader.LoadAsync(client, cancellationToken);
            if (Unseen(sharing, partnership, me, now) is { } unseen) return await DeniedAsync(http, me, action, client, unseen, Problem.NotFound("no such client"));
            scene = new ThreadScene(sharing!, partnership, null, Admission: "", null, now, policy);
        }

        var decided = useCase.Decide(scene);
        if (decided.Problem is { } problem) return await DeniedAsync(http, me, action, client, Reason(problem), problem);

        var events = useCase.Events(decided.Value);
        // At any version: a thread's stream takes its messages in turn (the write transaction's stream lock).
        await using var write = await WriteAsync(http, me, cancellationToken);
        if (useCase.Thread is { } existing) write.Session.Events.Append(existing.Value, events.ToArray());
        else write.Session.Events.StartStream(events.OfType<ThreadStarted>().Single().Thread.Value, events.ToArray());
        write.AfterSave(async (connection, transaction, ct) =>
        {
            foreach (var appended in events) await threads.StoreBesideAsync(appended, useCase.Body, connection, transaction, ct);
        });
        audit.AllowedWith(write, http, me, action, client, useCase.Rule(scene, decided.Value));
        if (!await write.CommitAsync(cancellationToken))
            return await DeniedAsync(http, me, action, client, "ConcurrentChange", Problem.Conflict(ApiProblems.ConcurrentChangeDetail));
        return decided;
    }

    /// <summary>The thread, the client's state, the partnership and the rule that lets the caller in; otherwise the reason it does not, and "no such thread".</summary>
    private async Task<((MessageThread Thread, ClientSharing Sharing, Partnership Partnership, string Rule)? Thread, string? Reason, Problem? Problem)> AdmitAsync(CurrentActor me,
        ClientId client, ThreadId thread, CancellationToken cancellationToken)
    {
        var found = await threads.FindAsync(thread, cancellationToken);
        if (found is null || found.Client != client) return (null, "NoSuchThread", Problem.NotFound("no such thread"));
        var (sharing, partnership) = await reader.LoadAsync(client, cancellationToken);
        var (rule, reason) = sharing is null ? (null, "NoSuchClient") : ThreadAccess.Admit(found, sharing, partnership, Caller(me), clock.GetUtcNow(), policy);
        return rule is null ? (null, reason, Problem.NotFound("no such thread")) : ((found, sharing!, partnership, "Participant;" + reason), null, null);
    }

    /// <summary>A read's admission: the thread, or "no such thread", audited.</summary>
    private async Task<Result<(MessageThread Thread, ClientSharing Sharing, Partnership Partnership, string Rule)>> AdmittedAsync(HttpContext http, CurrentActor me, string action,
        ClientId client, ThreadId thread, CancellationToken cancellationToken)
    {
        var admitted = await AdmitAsync(me, client, thread, cancellationToken);
        return admitted.Thread is { } found ? found : await DeniedAsync(http, me, action, client, admitted.Reason!, admitted.Problem!);
    }

    /// <summary>
    /// As for a team read: someone who sees nothing of the client (no visible, no masked involvement) is told it does not
    /// exist. Null when the caller sees something; otherwise the reason, for the audit entry.
    /// </summary>
    private string? Unseen(ClientSharing? sharing, Partnership partnership, CurrentActor me, DateTimeOffset now)
    {
        if (sharing is null) return "NoSuchClient";
        var team = AccessPolicy.TeamOf(sharing, partnership, me.Viewer, now, policy);
        return !team.Visible.IsEmpty || !team.Masked.IsEmpty ? null : TeamReads.Reasons(AccessPolicy.DecideAll(sharing, partnership, me.Viewer, now, policy));
    }

    private Task<WriteTransaction> WriteAsync(HttpContext http, CurrentActor me, CancellationToken cancellationToken) =>
        store.OpenWriteTransactionAsync(new EventMetadata(Correlation.Of(http), null, me.Principal, me.Organisation.Value), cancellationToken);

    private static Participant Caller(CurrentActor me) => me.Actor is Actor.Practitioner p ? new Participant(p.Id, p.Organisation)
        : throw new InvalidOperationException("threads are for practitioners; the endpoint admits no partner system");

    private static string Reason(Problem problem) => problem.Field is null ? problem.Kind.ToString() : $"{problem.Kind}:{problem.Field}";

    private async Task<TAnswer> DeniedAsync<TAnswer>(HttpContext http, CurrentActor me, string action, ClientId client, string reason, TAnswer answer)
    {
        await audit.DeniedAsync(http, me, action, client, reason);
        return answer;
    }
}
