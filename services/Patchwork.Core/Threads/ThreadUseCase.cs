using Patchwork.Core.Access;
using Patchwork.Core.Threads.Withdrawing;

namespace Patchwork.Core.Threads;

/// <summary>
/// What a thread use case decides on, as the threads' write pipeline found it: the client's sharing and the partnership the
/// policy reads, the thread acted on (null when one is being started) with the rule that admitted the caller to it, the
/// message acted on, if any, and the moment.
/// </summary>
public sealed record ThreadScene(ClientSharing Client, Partnership Partnership, MessageThread? Thread, string Admission, PostedMessage? Message,
    DateTimeOffset Now, PolicyOptions Policy);

/// <summary>
/// One use case on a thread about a client, as its slice hands it to the threads' write pipeline for the API and the pages
/// alike: the name its audit entries carry, the thread (and message) the caller must be admitted to under
/// <see cref="ThreadAccess"/>, the body sealed beside the event outside the log, and the slice's pure decision bound to the
/// command and the actor. With no thread, the caller must see something of the client, as for a team read.
/// </summary>
public sealed record ThreadUseCase<TEvent>(ClientId Client, string Action, Func<ThreadScene, Result<TEvent>> Decide)
    where TEvent : notnull
{
    /// <summary>The thread acted on; null for a use case that starts one.</summary>
    public ThreadId? Thread { get; init; }

    /// <summary>The message acted on, which must be in <see cref="Thread"/>; a message elsewhere is "no such message".</summary>
    public MessageId? Message { get; init; }

    /// <summary>The message body the events refer to, sealed in the thread store in the transaction that appends them.</summary>
    public string? Body { get; init; }

    /// <summary>What the decision appends: the event itself, unless the slice appends more with it (a thread's first message).</summary>
    public Func<TEvent, IReadOnlyList<object>> Events { get; init; } = decided => [decided];

    /// <summary>The rule the allowed audit entry records; by default the one that admitted the caller to the thread.</summary>
    public Func<ThreadScene, TEvent, string> Rule { get; init; } = (scene, _) => scene.Admission;
}
