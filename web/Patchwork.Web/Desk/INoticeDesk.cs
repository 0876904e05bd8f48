namespace Patchwork.Web.Desk;

/// <summary>The signed-in practitioner's own notices (DESIGN.md §4): ids, a kind and a position, never personal data.</summary>
public interface INoticeDesk
{
    /// <summary>The newest notices first; reading them is audited as the API's notice list is.</summary>
    Task<IReadOnlyList<Notice>> RecentAsync(int count, CancellationToken cancellationToken);

    /// <summary>
    /// The position of the newest notice, from which a page's live feed resynchronises after it reconnects; null when the
    /// browser is not (or not yet, before the second factor) a signed-in practitioner's.
    /// </summary>
    Task<long?> LatestPositionAsync(CancellationToken cancellationToken);
}

public sealed record Notice(long Position, string Kind, Patchwork.Core.ClientId Client, Guid? Subject, DateTimeOffset At)
{
    /// <summary>Where the notice is best read: the thread it names, or the client's page.</summary>
    public string Link => Kind is "thread-message" or "thread-message-withdrawn" && Subject is { } thread
        ? $"/clients/{Client.Value}/threads/{thread}"
        : $"/clients/{Client.Value}";

    /// <summary>The link's words.</summary>
    public string LinkText => Kind is "thread-message" or "thread-message-withdrawn" ? "Open the thread" : "Open the client";

    /// <summary>What happened, in words that name no one (the client's page shows who, as the policy allows now).</summary>
    public string Text => Kind switch
    {
        "involvement-visible" => "Someone working with your client is now shown to you",
        "involvement-changed" => "A team member's details changed",
        "involvement-ended" => "A team member's involvement ended",
        "involvement-no-longer-shared" => "A team member is no longer shared with you",
        "involvement-seen-by" => "Someone can now see your involvement (the client's history says who)",
        "attention-raised" => "Someone raised attention on your client",
        "contact-requested" => "Someone asked you to contact them",
        "contact-request-answered" => "Your contact request was answered",
        "break-glass" => "Someone used emergency access (break-glass)",
        "thread-message" => "A new message in a thread about your client",
        "thread-message-withdrawn" => "A message in a thread about your client was withdrawn",
        _ => "Something changed for your client",
    };
}
