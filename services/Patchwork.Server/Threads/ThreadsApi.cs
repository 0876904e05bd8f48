using Patchwork.Core;
using Patchwork.Core.Threads;
using Patchwork.Server.Api;
using Patchwork.Server.Api.Audit;

namespace Patchwork.Server.Threads;

public sealed record StartThreadRequest(IReadOnlyList<Guid>? Participants, string? Message);

public sealed record PostMessageRequest(string? Body);

public sealed record StartedThreadResponse(Guid ThreadId, Guid MessageId);

public sealed record PostedMessageResponse(Guid MessageId);

public sealed record MarkedReadResponse(int Marked);

public sealed record ThreadSummaryResponse(Guid ThreadId, Guid StartedBy, IReadOnlyList<Guid> Participants, DateTimeOffset StartedAt, int Messages,
    DateTimeOffset? LatestAt, int Unread);

public sealed record ThreadListResponse(IReadOnlyList<ThreadSummaryResponse> Threads);

public sealed record ReceiptResponse(Guid PractitionerId, DateTimeOffset At);

/// <summary>A message, or its marker: a withdrawn message keeps its place, author and times, and loses its body.</summary>
public sealed record MessageResponse(Guid MessageId, Guid AuthorId, Guid AuthorOrganisationId, DateTimeOffset PostedAt, bool Withdrawn, DateTimeOffset? WithdrawnAt,
    string? Body, IReadOnlyList<ReceiptResponse> ReadBy);

/// <summary>Attention raised on the client since the thread began: shown in the thread, as it matters to everyone in it.</summary>
public sealed record AttentionResponse(Guid AttentionId, Guid RaisedBy, Guid OrganisationId, DateTimeOffset At);

public sealed record ThreadParticipantResponse(Guid PractitionerId, Guid OrganisationId);

public sealed record ThreadResponse(Guid ThreadId, Guid ClientId, Guid StartedBy, DateTimeOffset StartedAt, IReadOnlyList<ThreadParticipantResponse> Participants,
    IReadOnlyList<MessageResponse> Messages, IReadOnlyList<AttentionResponse> Attention)
{
    public static ThreadResponse From(MessageThread thread, IReadOnlyList<StoredMessage> messages, ClientSharing sharing)
    {
        ArgumentNullException.ThrowIfNull(thread);
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(sharing);
        return new(thread.Id.Value, thread.Client.Value, thread.Starter.Practitioner.Value, thread.StartedAt,
            [.. thread.Participants.Select(p => new ThreadParticipantResponse(p.Practitioner.Value, p.Organisation.Value))],
            [.. messages.Select(m => new MessageResponse(m.Id.Value, m.Author.Practitioner.Value, m.Author.Organisation.Value, m.PostedAt, m.WithdrawnAt is not null,
                m.WithdrawnAt, m.Body, [.. m.ReadBy.Select(r => new ReceiptResponse(r.Practitioner.Value, r.At))]))],
            [.. sharing.Attention.Values.Where(a => a.At >= thread.StartedAt).OrderBy(a => a.At)
                .Select(a => new AttentionResponse(a.Id.Value, a.Practitioner.Value, a.Organisation.Value, a.At))]);
    }
}

/// <summary>Threads about a client: practitioners only (a partner system gets 403), each request through <see cref="MessageThreads"/>.</summary>
public static class ThreadsApi
{
    public const string Script = "Patchwork.Server.Threads.threads.sql";

    public static WebApplicationBuilder AddPatchworkThreads(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddModuleSchema("threads", Script);
        builder.Services.AddSingleton<MessageSeal>();
        builder.Services.AddSingleton<ThreadStore>();
        builder.Services.AddSingleton<MessageThreads>();
        builder.Services.AddSingleton<ThreadNotices>();
        return builder;
    }

    public static RouteGroupBuilder MapThreadsApi(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var threads = api.MapGroup("/clients/{clientId}/threads");
        threads.MapPost("", (Guid clientId, StartThreadRequest body, CurrentActor me, MessageThreads handle, HttpContext http, CancellationToken ct) =>
            handle.StartAsync(http, me, new ClientId(clientId), body, ct)).WithName("StartThread");
        threads.MapGet("", (Guid clientId, CurrentActor me, MessageThreads handle, HttpContext http, CancellationToken ct) =>
            handle.ListAsync(http, me, new ClientId(clientId), ct)).WithName("ListThreads");
        threads.MapGet("/{threadId}", (Guid clientId, Guid threadId, CurrentActor me, MessageThreads handle, HttpContext http, CancellationToken ct) =>
            handle.ReadAsync(http, me, new ClientId(clientId), new ThreadId(threadId), ct)).WithName("ReadThread");
        threads.MapPost("/{threadId}/read", (Guid clientId, Guid threadId, CurrentActor me, MessageThreads handle, HttpContext http, CancellationToken ct) =>
            handle.MarkReadAsync(http, me, new ClientId(clientId), new ThreadId(threadId), ct)).WithName("MarkThreadRead");
        threads.MapPost("/{threadId}/messages", (Guid clientId, Guid threadId, PostMessageRequest body, CurrentActor me, MessageThreads handle, HttpContext http,
            CancellationToken ct) => handle.PostAsync(http, me, new ClientId(clientId), new ThreadId(threadId), body, ct)).WithName("PostMessage");
        threads.MapPost("/{threadId}/messages/{messageId}/withdraw", (Guid clientId, Guid threadId, Guid messageId, CurrentActor me, MessageThreads handle,
            HttpContext http, CancellationToken ct) =>
            handle.WithdrawAsync(http, me, new ClientId(clientId), new ThreadId(threadId), new MessageId(messageId), ct)).WithName("WithdrawMessage");
        return api;
    }
}
