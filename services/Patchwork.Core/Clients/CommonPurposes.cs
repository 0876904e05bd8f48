namespace Patchwork.Core.Clients;

/// <summary>One of the common reasons to search for or read a client: a short code for the API, and its words for people.</summary>
public sealed record CommonPurpose(string Code, string Label);

/// <summary>
/// The closed list of common purposes. The pages offer them as choices (with "another purpose" written in words), the API
/// accepts a code or the words in <c>purpose</c>, and the access figures count searches by them: anything else a caller
/// writes is counted as another purpose, and its words never leave the audit trail.
/// </summary>
public static class CommonPurposes
{
    public static readonly CommonPurpose Casework = new("casework", "Casework with my client");

    public static readonly CommonPurpose Referral = new("referral", "New referral or allocation");

    public static readonly CommonPurpose Safeguarding = new("safeguarding", "Safeguarding concern");

    public static readonly CommonPurpose Meeting = new("meeting", "Preparing for a multi-agency meeting");

    public static IReadOnlyList<CommonPurpose> All { get; } = [Casework, Referral, Safeguarding, Meeting];

    /// <summary>The common purpose a stated purpose names, by its code or its words (any case); null for anything else.</summary>
    public static CommonPurpose? Of(string? stated) =>
        stated?.Trim() is { Length: > 0 } text
            ? All.FirstOrDefault(p => string.Equals(p.Code, text, StringComparison.OrdinalIgnoreCase) || string.Equals(p.Label, text, StringComparison.OrdinalIgnoreCase))
            : null;
}
