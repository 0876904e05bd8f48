using System.Collections.Immutable;
using Patchwork.Core.Access;
using Patchwork.Core.Threads.Posting;
using Patchwork.EventStore;

namespace Patchwork.Core.Threads.Starting;

/// <summary>A practitioner on the client's team starts a thread with practitioners they choose; the first message goes with it.</summary>
public sealed record StartThread(ThreadId Thread, ClientId Client, MessageId FirstMessage, IReadOnlyList<PractitionerId> Participants);

[EventName(EventNames.ThreadStarted)]
public sealed record ThreadStarted(ThreadId Thread, ClientId Client, Participant Starter, InvolvementId StarterInvolvement,
    ImmutableArray<Participant> Participants, DateTimeOffset At);

public static class Starting
{
    public const int MaxParticipants = 20;

    public const string Action = "thread.start";

    /// <summary>
    /// Starting a thread with its first message, for the threads' write pipeline: the message is checked after the policy
    /// has let the starter see the client, and appended with the thread; the audit entry records under which rule each chosen
    /// participant sees the starter's involvement.
    /// </summary>
    public static ThreadUseCase<ThreadStarted> UseCase(StartThread command, string? firstMessage, Actor by)
    {
        ArgumentNullException.ThrowIfNull(command);
        return new ThreadUseCase<ThreadStarted>(command.Client, Action, scene =>
            Posting.Posting.CheckBody(firstMessage, "message") is { } invalid ? invalid
            : Decide(scene.Client, scene.Partnership, command, by, scene.Now, scene.Policy))
        {
            Body = firstMessage,
            Events = started => [started, new MessagePosted(started.Thread, command.FirstMessage, started.Client, started.Starter, started.At)],
            Rule = (scene, started) => "Starter:" + string.Join(',', started.Participants.Skip(1)
                .Select(p => AccessPolicy.Decide(scene.Client, scene.Partnership, p.Viewer, started.StarterInvolvement, scene.Now, scene.Policy)?.Rule.ToString() ?? "Hidden")
                .Distinct().Order()),
        };
    }

    /// <summary>
    /// Each chosen practitioner is named by an involvement the starter can see, and must themselves see the starter's
    /// involvement under the policy: nobody is put in a thread they could not read.
    /// </summary>
    public static Result<ThreadStarted> Decide(ClientSharing client, Partnership partnership, StartThread command, Actor by, DateTimeOffset now,
        PolicyOptions options)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(command);
        if (by is not Actor.Practitioner me) return Problem.Forbidden("only a practitioner may start a thread");
        var today = Calendar.Today(now);
        if (client.Involvements.Values.FirstOrDefault(i => i.Practitioner == me.Id && i.Organisation == me.Organisation && i.IsActive && i.Start <= today)
            is not { } own)
            return Problem.Forbidden("only a practitioner with an active involvement with the client may start a thread");
        if (command.Participants.Count == 0) return Problem.Invalid("participants", "choose at least one practitioner");
        if (command.Participants.Count > MaxParticipants) return Problem.Invalid("participants", $"choose at most {MaxParticipants}");

        var starter = new Participant(me.Id, me.Organisation);
        var visibleToStarter = AccessPolicy.TeamOf(client, partnership, starter.Viewer, now, options).Visible
            .Where(v => v.Involvement.Practitioner is not null && v.Involvement.IsActive)
            .GroupBy(v => v.Involvement.Practitioner!.Value)
            .ToDictionary(g => g.Key, g => g.First().Involvement.Organisation);
        var participants = ImmutableArray.CreateBuilder<Participant>();
        participants.Add(starter);
        for (var index = 0; index < command.Participants.Count; index++)
        {
            var chosen = command.Participants[index];
            if (chosen == me.Id || participants.Any(p => p.Practitioner == chosen))
                return Problem.Invalid($"participants[{index}]", "is named twice, or is you");
            // One answer for "not on the team as you see it" and "cannot see you": neither tells the starter more than the team view.
            if (!visibleToStarter.TryGetValue(chosen, out var organisation) ||
                AccessPolicy.Decide(client, partnership, Viewer.ForPractitioner(chosen, organisation), own.Id, now, options) is not { IsVisible: true })
                return Problem.Invalid($"participants[{index}]", "is not a practitioner on the client's team who can see your involvement");
            participants.Add(new Participant(chosen, organisation));
        }
        return new ThreadStarted(command.Thread, client.Client, starter, own.Id, participants.ToImmutable(), now);
    }
}
