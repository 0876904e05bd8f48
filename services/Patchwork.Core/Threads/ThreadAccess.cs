using System.Collections.Immutable;
using Patchwork.Core.Access;

namespace Patchwork.Core.Threads;

/// <summary>Identifies a message thread about one client; time-ordered.</summary>
public readonly record struct ThreadId(Guid Value)
{
    public static ThreadId New() => new(Guid.CreateVersion7());

    public override string ToString() => Value.ToString();
}

/// <summary>Identifies one message in a thread; time-ordered, so a thread's messages sort by it.</summary>
public readonly record struct MessageId(Guid Value)
{
    public static MessageId New() => new(Guid.CreateVersion7());

    public override string ToString() => Value.ToString();
}

/// <summary>A practitioner in a thread, with the organisation they act for (the policy's viewer).</summary>
public sealed record Participant(PractitionerId Practitioner, OrganisationId Organisation)
{
    public Viewer Viewer => Viewer.ForPractitioner(Practitioner, Organisation);
}

/// <summary>A thread as the access rule needs it: ids only. Its messages' bodies live outside the log.</summary>
public sealed record MessageThread(ThreadId Id, ClientId Client, Participant Starter, InvolvementId StarterInvolvement,
    ImmutableArray<Participant> Participants, DateTimeOffset StartedAt)
{
    public bool Includes(PractitionerId practitioner) => Participants.Any(p => p.Practitioner == practitioner);
}

/// <summary>
/// Who may read a thread and be told of its messages, at this moment, under the one access policy (DESIGN.md §3): a
/// participant with an active involvement with the client (their legitimate relationship) who sees the starter's
/// involvement. Asked at every read and every delivery, so a withdrawn consent or an ended involvement loses the thread
/// at once. Pure, like the policy it asks.
/// </summary>
public static class ThreadAccess
{
    /// <summary>The rule that lets the participant in, or null with the reason they are kept out (for the audit entry).</summary>
    public static (SharingRule? Rule, string Reason) Admit(MessageThread thread, ClientSharing client, Partnership partnership, Participant who,
        DateTimeOffset now, PolicyOptions options)
    {
        ArgumentNullException.ThrowIfNull(thread);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(who);
        if (!thread.Participants.Contains(who)) return (null, "NotAParticipant");
        var today = Calendar.Today(now);
        if (!client.Involvements.Values.Any(i => i.Practitioner == who.Practitioner && i.Organisation == who.Organisation && i.IsActive && i.Start <= today))
            return (null, "NoActiveInvolvement");
        return AccessPolicy.Decide(client, partnership, who.Viewer, thread.StarterInvolvement, now, options) is { IsVisible: true } shown
            ? (shown.Rule, $"StarterInvolvement:{shown.Rule}")
            : (null, "StarterInvolvementNotVisible");
    }

    public static bool Admits(MessageThread thread, ClientSharing client, Partnership partnership, Participant who, DateTimeOffset now, PolicyOptions options) =>
        Admit(thread, client, partnership, who, now, options).Rule is not null;
}
