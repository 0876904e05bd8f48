namespace Patchwork.Core;

/// <summary>
/// The one check of free text a person or a partner system gives us to store: required or optional, a length, and
/// plain text. Control characters (U+0000–U+001F, U+007F, and the C1 block U+0080–U+009F) are refused in every field:
/// they corrupt displays, logs and exports and hide text from a reader. Only multi-line fields (messages and
/// justifications) accept line breaks — LF and CR, since a browser sends a textarea's breaks as CRLF; a tab is refused
/// everywhere. Every problem names the field.
/// </summary>
public static class Text
{
    public static Problem? Required(string? value, string field, int maxLength, bool multiLine = false) =>
        string.IsNullOrWhiteSpace(value) ? Problem.Invalid(field, "is required")
        : value.Length > maxLength ? Problem.Invalid(field, $"has at most {maxLength} characters")
        : Plain(value, field, multiLine);

    public static Problem? Optional(string? value, string field, int maxLength, bool multiLine = false) =>
        value?.Length > maxLength ? Problem.Invalid(field, $"has at most {maxLength} characters") : Plain(value, field, multiLine);

    /// <summary>Null when <paramref name="value"/> is absent or plain text; otherwise a problem naming <paramref name="field"/>.</summary>
    public static Problem? Plain(string? value, string field, bool multiLine = false) =>
        IsPlain(value, multiLine) ? null
        : Problem.Invalid(field, multiLine ? "is plain text: no control characters other than line breaks" : "is one line of plain text: no line breaks or control characters");

    public static bool IsPlain(string? value, bool multiLine = false) =>
        value is null || !value.Any(c => char.IsControl(c) && !(multiLine && c is ('\n' or '\r')));
}

/// <summary>The partnership's calendar: the date part of the local "now" a <see cref="TimeProvider"/> gives.</summary>
public static class Calendar
{
    /// <summary>The partnership works on UK local dates, whatever offset the instant was given in (UTC from the clock, say).</summary>
    public static readonly TimeZoneInfo Partnership = TimeZoneInfo.FindSystemTimeZoneById("Europe/London");

    /// <summary>The UK date at this instant: 00:30 UTC on a summer night is already tomorrow in the partnership.</summary>
    public static DateOnly Today(DateTimeOffset now) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, Partnership).DateTime);
}
