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
        const string action = "thread.start";
        var (sharing, partnership) = await reader.LoadAsync(client, cancellationToken);
        var now = clock.GetUtcNow();
        if (Unseen(sharing, partnership, me, now) is { } unseen) return await DeniedAsync(http, me, action, client, unseen, ApiProblems.NoSuchClient());
        if (Posting.CheckBody(body.Message, "message") is { } invalid)
            return await DeniedAsync(http, me, action, client, $"Invalid:{invalid.Field}", ApiProblems.From<Created<StartedThreadResponse>>(invalid));
        var command = new StartThread(ThreadId.New(), client, MessageId.New(), [.. (body.Participants ?? []).Select(p => new PractitionerId(p))]);
        var started = Starting.Decide(sharing!, partnership, command, me.Actor, now, policy);
        if (started.Problem is { } problem)
            return await DeniedAsync(http, me, action, client, Reason(problem), ApiProblems.From<Created<StartedThreadResponse>>(problem));

        var first = new MessagePosted(command.Thread, command.FirstMessage, client, started.Value.Starter, now);
        await using var write = await WriteAsync(http, me, cancellationToken);
        write.Session.Events.StartStream(command.Thread.Value, started.Value, first);
        write.AfterSave(async (connection, transaction, ct) =>
        {
            await threads.InsertThreadAsync(started.Value, connection, transaction, ct);
            await threads.InsertMessageAsync(first, body.Message!, connection, transaction, ct);
        });
        audit.AllowedWith(write, http, me, action, client, $"Starter:{RuleOf(sharing!, partnership, started.Value, now)}");
        if (!await write.CommitAsync(cancellationToken)) return await DeniedAsync(http, me, action, client, "ConcurrentChange", ApiProblems.ConcurrentChange());
        return TypedResults.Created($"/api/v1/clients/{client.Value}/threads/{command.Thread.Value}",
            new StartedThreadResponse(command.Thread.Value, command.FirstMessage.Value));
    }

    public async Task<Results<Ok<ThreadListResponse>, ProblemHttpResult>> ListAsync(HttpContext http, CurrentActor me, ClientId client, CancellationToken cancellationToken)
    {
        const string action = "thread.list";
        var (sharing, partnership) = await reader.LoadAsync(client, cancellationToken);
        var now = clock.GetUtcNow();
        if (Unseen(sharing, partnership, me, now) is { } unseen) return await DeniedAsync(http, me, action, client, unseen, ApiProblems.NoSuchClient());
        var caller = Caller(me);
        var mine = (await threads.OfClientAsync(client, cancellationToken)).Where(t => ThreadAccess.Admits(t, sharing!, partnership, caller, now, policy)).ToList();
        var summaries = await threads.SummariesAsync([.. mine.Select(t => t.Id)], caller.Practitioner, cancellationToken);
        await audit.AllowedAsync(http, me, action, client, $"ParticipantWhoSeesStarter:{mine.Count}");
        http.Response.Headers.CacheControl = "private, no-store";
        return TypedResults.Ok(new ThreadListResponse([.. mine.Select(t =>
        {
            var (count, latest, unread) = summaries.GetValueOrDefault(t.Id);
            return new ThreadSummaryResponse(t.Id.Value, t.Starter.Practitioner.Value, [.. t.Participants.Select(p => p.Practitioner.Value)], t.StartedAt,
                count, latest, unread);
        })]));
    }

    public async Task<Results<Ok<ThreadResponse>, ProblemHttpResult>> ReadAsync(HttpContext http, CurrentActor me, ClientId client, ThreadId thread,
        CancellationToken cancellationToken)
    {
        var admitted = await AdmitAsync(http, me, "thread.read", client, thread, cancellationToken);
        if (admitted.Refusal is { } refusal) return refusal;
        var (found, sharing, rule) = admitted.Thread!.Value;
        var messages = await threads.MessagesAsync(found, cancellationToken);
        await audit.AllowedAsync(http, me, "thread.read", client, rule);
        http.Response.Headers.CacheControl = "private, no-store";
        return TypedResults.Ok(ThreadResponse.From(found, messages, sharing));
    }

    public async Task<Results<Ok<MarkedReadResponse>, ProblemHttpResult>> MarkReadAsync(HttpContext http, CurrentActor me, ClientId client, ThreadId thread,
        CancellationToken cancellationToken)
    {
        var admitted = await AdmitAsync(http, me, "thread.mark-read", client, thread, cancellationToken);
        if (admitted.Refusal is { } refusal) return refusal;
        var marked = await threads.MarkReadAsync(thread, Caller(me).Practitioner, clock.GetUtcNow(), cancellationToken);
        await audit.AllowedAsync(http, me, "thread.mark-read", client, admitted.Thread!.Value.Rule);
        return TypedResults.Ok(new MarkedReadResponse(marked));
    }

    public async Task<Results<Created<PostedMessageResponse>, ValidationProblem, ProblemHttpResult>> PostAsync(HttpContext http, CurrentActor me, ClientId client,
        ThreadId thread, PostMessageRequest body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        const string action = "thread.post";
        var admitted = await AdmitAsync(http, me, action, client, thread, cancellationToken);
        if (admitted.Refusal is { } refusal) return refusal;
        var (found, sharing, rule) = admitted.Thread!.Value;
        var partnership = await reader.PartnershipAsync(cancellationToken);
        var posted = Posting.Decide(found, sharing, partnership, new PostMessage(thread, MessageId.New(), body.Body ?? ""), me.Actor, clock.GetUtcNow(), policy);
        if (posted.Problem is { } problem) return await DeniedAsync(http, me, action, client, Reason(problem), ApiProblems.From<Created<PostedMessageResponse>>(problem));

        // At any version: the thread's stream takes its messages in turn (the write transaction's stream lock).
        await using var write = await WriteAsync(http, me, cancellationToken);
        write.Session.Events.Append(thread.Value, posted.Value);
        write.AfterSave((connection, transaction, ct) => threads.InsertMessageAsync(posted.Value, body.Body!, connection, transaction, ct));
        audit.AllowedWith(write, http, me, action, client, rule);
        if (!await write.CommitAsync(cancellationToken)) return await DeniedAsync(http, me, action, client, "ConcurrentChange", ApiProblems.ConcurrentChange());
        return TypedResults.Created($"/api/v1/clients/{client.Value}/threads/{thread.Value}#message-{posted.Value.Message.Value}",
            new PostedMessageResponse(posted.Value.Message.Value));
    }

    public async Task<Results<Ok<PostedMessageResponse>, ValidationProblem, ProblemHttpResult>> WithdrawAsync(HttpContext http, CurrentActor me, ClientId client,
        ThreadId thread, MessageId message, CancellationToken cancellationToken)
    {
        const string action = "thread.withdraw";
        var admitted = await AdmitAsync(http, me, action, client, thread, cancellationToken);
        if (admitted.Refusal is { } refusal) return refusal;
        var (found, _, rule) = admitted.Thread!.Value;
        if (await threads.MessageAsync(message, cancellationToken) is not { } stored || stored.Thread != thread)
            return await DeniedAsync(http, me, action, client, "NoSuchMessage", ApiProblems.NotFound("no such message in this thread"));
        var withdrawn = Withdrawing.Decide(found, stored.Message, me.Actor, clock.GetUtcNow());
        if (withdrawn.Problem is { } problem) return await DeniedAsync(http, me, action, client, Reason(problem), ApiProblems.From<Ok<PostedMessageResponse>>(problem));

        await using var write = await WriteAsync(http, me, cancellationToken);
        write.Session.Events.Append(thread.Value, withdrawn.Value);
        write.AfterSave((connection, transaction, ct) => threads.WithdrawAsync(withdrawn.Value, connection, transaction, ct));
        audit.AllowedWith(write, http, me, action, client, rule + ";Author");
        if (!await write.CommitAsync(cancellationToken)) return await DeniedAsync(http, me, action, client, "ConcurrentChange", ApiProblems.ConcurrentChange());
        return TypedResults.Ok(new PostedMessageResponse(message.Value));
    }

    /// <summary>The thread, the client's state and the rule that lets the caller in; otherwise the audited 404.</summary>
    private async Task<((MessageThread Thread, ClientSharing Sharing, string Rule)? Thread, ProblemHttpResult? Refusal)> AdmitAsync(HttpContext http, CurrentActor me,
        string action, ClientId client, ThreadId thread, CancellationToken cancellationToken)
    {
        var found = await threads.FindAsync(thread, cancellationToken);
        if (found is null || found.Client != client)
            return (null, await DeniedAsync(http, me, action, client, "NoSuchThread", ApiProblems.NotFound("no such thread")));
        var (sharing, partnership) = await reader.LoadAsync(client, cancellationToken);
        var (rule, reason) = sharing is null ? (null, "NoSuchClient") : ThreadAccess.Admit(found, sharing, partnership, Caller(me), clock.GetUtcNow(), policy);
        if (rule is null) return (null, await DeniedAsync(http, me, action, client, reason, ApiProblems.NotFound("no such thread")));
        return ((found, sharing!, "Participant;" + reason), null);
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

    private string RuleOf(ClientSharing sharing, Partnership partnership, ThreadStarted started, DateTimeOffset now) =>
        string.Join(',', started.Participants.Skip(1).Select(p =>
            AccessPolicy.Decide(sharing, partnership, p.Viewer, started.StarterInvolvement, now, policy)?.Rule.ToString() ?? "Hidden").Distinct().Order());

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
