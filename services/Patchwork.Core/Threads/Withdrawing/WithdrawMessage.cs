using Patchwork.EventStore;

namespace Patchwork.Core.Threads.Withdrawing;

[EventName(EventNames.MessageWithdrawn)]
public sealed record MessageWithdrawn(ThreadId Thread, MessageId Message, ClientId Client, Participant Author, DateTimeOffset At);

/// <summary>What withdrawing needs to know of the message: who wrote it, when, and whether it is already withdrawn.</summary>
public sealed record PostedMessage(MessageId Id, Participant Author, DateTimeOffset PostedAt, DateTimeOffset? WithdrawnAt);

public static class Withdrawing
{
    /// <summary>Long enough to catch a message sent to the wrong thread; short enough that readers can rely on what they read.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(10);

    public const string Action = "thread.withdraw";

    /// <summary>Withdrawing one's own message, for the threads' write pipeline; the audit entry adds that the caller is its author.</summary>
    public static ThreadUseCase<MessageWithdrawn> UseCase(ClientId client, ThreadId thread, MessageId message, Actor by) =>
        new(client, Action, scene => Decide(scene.Thread!, scene.Message!, by, scene.Now))
        {
            Thread = thread,
            Message = message,
            Rule = (scene, _) => scene.Admission + ";Author",
        };

    public static Result<MessageWithdrawn> Decide(MessageThread thread, PostedMessage message, Actor by, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(thread);
        ArgumentNullException.ThrowIfNull(message);
        return by is not Actor.Practitioner me || message.Author.Practitioner != me.Id ? Problem.Forbidden("only the author may withdraw a message")
            : message.WithdrawnAt is not null ? Problem.Conflict("the message is already withdrawn")
            : now - message.PostedAt > Window ? Problem.Conflict($"a message can be withdrawn for {Window.TotalMinutes:0} minutes after it was sent")
            : new MessageWithdrawn(thread.Id, message.Id, thread.Client, message.Author, now);
    }
}
