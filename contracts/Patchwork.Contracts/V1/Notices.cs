namespace Patchwork.Contracts.V1;

/// <summary>
/// What every notice to a partner system carries: ids and a position, never personal data. The receiver
/// re-reads through the API, which applies the access policy again, and resumes after the last position it saw.
/// </summary>
public interface IPartnerNotice
{
    /// <summary>Unique per notice; the AMQP message id is the same value, so a receiver deduplicates by it.</summary>
    Guid NoticeId { get; }

    /// <summary>The log position the notice was decided at; increases for each organisation's queue.</summary>
    long Position { get; }

    Guid ClientId { get; }

    DateTimeOffset OccurredAt { get; }
}

/// <summary>An involvement with one of your organisation's clients became visible to your organisation (joined, consent given, agreement started).</summary>
public sealed record InvolvementBecameVisible(Guid NoticeId, long Position, Guid ClientId, Guid InvolvementId, DateTimeOffset OccurredAt) : IPartnerNotice;

/// <summary>A visible involvement's role or contact route changed.</summary>
public sealed record InvolvementChanged(Guid NoticeId, long Position, Guid ClientId, Guid InvolvementId, DateTimeOffset OccurredAt) : IPartnerNotice;

/// <summary>A visible involvement ended.</summary>
public sealed record InvolvementEnded(Guid NoticeId, long Position, Guid ClientId, Guid InvolvementId, DateOnly End, DateTimeOffset OccurredAt) : IPartnerNotice;

/// <summary>An involvement your organisation could see is no longer shared with it; deliberately says neither why nor by whom.</summary>
public sealed record InvolvementNoLongerShared(Guid NoticeId, long Position, Guid ClientId, Guid InvolvementId, DateTimeOffset OccurredAt) : IPartnerNotice;

/// <summary>Someone in the client's team is paying increased attention to the client.</summary>
public sealed record AttentionRaised(Guid NoticeId, long Position, Guid ClientId, DateTimeOffset OccurredAt) : IPartnerNotice;

/// <summary>A practitioner asked to contact one of your organisation's masked (sensitive) involvements.</summary>
public sealed record ContactRequested(Guid NoticeId, long Position, Guid ClientId, Guid ContactRequestId, Guid InvolvementId, DateTimeOffset OccurredAt) : IPartnerNotice;

/// <summary>A contact request your organisation made was answered; re-read the team to see whether it was accepted.</summary>
public sealed record ContactRequestAnswered(Guid NoticeId, long Position, Guid ClientId, Guid ContactRequestId, DateTimeOffset OccurredAt) : IPartnerNotice;

/// <summary>Emergency (break-glass) access was granted on a client your organisation works with.</summary>
public sealed record BreakGlassUsed(Guid NoticeId, long Position, Guid ClientId, Guid GrantId, DateTimeOffset ExpiresAt, DateTimeOffset OccurredAt) : IPartnerNotice;
