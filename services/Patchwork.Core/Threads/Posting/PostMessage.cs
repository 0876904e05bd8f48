using Patchwork.Core.Access;
using Patchwork.EventStore;

namespace Patchwork.Core.Threads.Posting;

/// <summary>A participant writes to a thread. The body never enters the log: the event holds ids only.</summary>
public sealed record PostMessage(ThreadId Thread, MessageId Message, string Body);

[EventName(EventNames.MessagePosted)]
public sealed record MessagePosted(ThreadId Thread, MessageId Message, ClientId Client, Participant Author, DateTimeOffset At);

public static class Posting
{
    /// <summary>Plain text, long enough for a considered note, short enough to stay a message rather than a case record.</summary>
    public const int MaxBodyLength = 4000;

    public const string Action = "thread.post";

    /// <summary>Writing to a thread, for the threads' write pipeline: appended at any version, the thread's messages in turn.</summary>
    public static ThreadUseCase<MessagePosted> UseCase(ClientId client, PostMessage command, Actor by)
    {
        ArgumentNullException.ThrowIfNull(command);
        return new ThreadUseCase<MessagePosted>(client, Action, scene => Decide(scene.Thread!, scene.Client, scene.Partnership, command, by, scene.Now, scene.Policy))
        {
            Thread = command.Thread,
            Body = command.Body,
        };
    }

    public static Problem? CheckBody(string? body, string field = "body") =>
        string.IsNullOrWhiteSpace(body) ? Problem.Invalid(field, "write a message")
        : body.Length > MaxBodyLength ? Problem.Invalid(field, $"has at most {MaxBodyLength} characters")
        : Text.Plain(body, field, multiLine: true);

    public static Result<MessagePosted> Decide(MessageThread thread, ClientSharing client, Partnership partnership, PostMessage command, Actor by,
        DateTimeOffset now, PolicyOptions options)
    {
        ArgumentNullException.ThrowIfNull(thread);
        ArgumentNullException.ThrowIfNull(command);
        if (by is not Actor.Practitioner me) return Problem.Forbidden("only a practitioner may write in a thread");
        var author = new Participant(me.Id, me.Organisation);
        if (!ThreadAccess.Admits(thread, client, partnership, author, now, options)) return Problem.NotFound("no such thread");
        return CheckBody(command.Body) is { } invalid ? invalid
            : new MessagePosted(thread.Id, command.Message, thread.Client, author, now);
    }
}
