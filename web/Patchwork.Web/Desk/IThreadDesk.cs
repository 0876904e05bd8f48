using Patchwork.Core;

namespace Patchwork.Web.Desk;

/// <summary>
/// Threads about a client through the pages. The host implements it with the API's own thread handlers, so each read and
/// write asks the one access policy at that moment and leaves the same audit entry (channel "web").
/// </summary>
public interface IThreadDesk
{
    /// <summary>The threads the practitioner may read now, and whom they may start one with; null when they may see nothing of the client.</summary>
    Task<ThreadList?> ThreadsAsync(ClientId client, CancellationToken cancellationToken);

    /// <summary>The thread with its messages and the attention raised since it began; reading it records the practitioner's receipts. Null: no such thread for them.</summary>
    Task<ThreadPage?> ThreadAsync(ClientId client, Guid thread, CancellationToken cancellationToken);

    Task<DeskOutcome<Guid>> StartAsync(ClientId client, IReadOnlyList<Guid> participants, string? message, CancellationToken cancellationToken);

    Task<DeskOutcome<Guid>> ReplyAsync(ClientId client, Guid thread, string? body, CancellationToken cancellationToken);

    Task<DeskOutcome<Guid>> WithdrawAsync(ClientId client, Guid thread, Guid message, CancellationToken cancellationToken);
}

public sealed record ThreadList(ClientId Client, string ClientName, IReadOnlyList<ThreadSummary> Threads, IReadOnlyList<Choice> CanStartWith);

public sealed record ThreadSummary(Guid Id, string StartedBy, string Participants, DateTimeOffset StartedAt, int Messages, DateTimeOffset? LatestAt, int Unread);

public sealed record ThreadPage(ClientId Client, string ClientName, Guid Id, string Participants, IReadOnlyList<ThreadEntry> Entries);

/// <summary>A message (or its withdrawn marker) or an attention raised, in time order.</summary>
public sealed record ThreadEntry(Guid? MessageId, string Author, DateTimeOffset At, string? Body, bool Withdrawn, bool CanWithdraw, string? ReadBy, bool IsAttention);
