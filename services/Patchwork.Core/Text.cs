namespace Patchwork.Core;

/// <summary>Shared checks for the few free-text fields commands carry.</summary>
internal static class Text
{
    public static Problem? Required(string? value, string field, int maxLength) =>
        string.IsNullOrWhiteSpace(value) ? Problem.Invalid(field, "is required")
        : value.Length > maxLength ? Problem.Invalid(field, $"has at most {maxLength} characters")
        : null;

    public static Problem? Optional(string? value, string field, int maxLength) =>
        value?.Length > maxLength ? Problem.Invalid(field, $"has at most {maxLength} characters") : null;
}

/// <summary>The partnership's calendar: the date part of the local "now" a <see cref="TimeProvider"/> gives.</summary>
public static class Calendar
{
    /// <summary>The partnership works on UK local dates, whatever offset the instant was given in (UTC from the clock, say).</summary>
    public static readonly TimeZoneInfo Partnership = TimeZoneInfo.FindSystemTimeZoneById("Europe/London");

    /// <summary>The UK date at this instant: 00:30 UTC on a summer night is already tomorrow in the partnership.</summary>
    public static DateOnly Today(DateTimeOffset now) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, Partnership).DateTime);
}
