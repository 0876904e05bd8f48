namespace Patchwork.Server.Feed;

/// <summary>
/// What a practitioner is told, live and in their notice list: ids, a kind and a position, never personal data. The
/// browser re-reads the client through the API, which checks the policy again. Published on the feed fan-out, so every
/// node receives every notice and pushes it to its own connected practitioners.
/// </summary>
public sealed record FeedNotice(Guid Id, long Position, Guid PractitionerId, Guid OrganisationId, string Kind, Guid ClientId, Guid? SubjectId, DateTimeOffset At);

/// <summary>The kinds of notice (DESIGN.md §4).</summary>
public static class FeedNoticeKinds
{
    public const string BecameVisible = "involvement-visible";
    public const string Changed = "involvement-changed";
    public const string Ended = "involvement-ended";
    public const string NoLongerShared = "involvement-no-longer-shared";

    /// <summary>DESIGN §3 rule 9: someone can now see your involvement; the subject is that practitioner's id.</summary>
    public const string SeenBy = "involvement-seen-by";
    public const string AttentionRaised = "attention-raised";
    public const string ContactRequested = "contact-requested";
    public const string ContactAnswered = "contact-request-answered";
    public const string BreakGlass = "break-glass";
    public const string ThreadMessage = "thread-message";
    public const string ThreadMessageWithdrawn = "thread-message-withdrawn";
}
