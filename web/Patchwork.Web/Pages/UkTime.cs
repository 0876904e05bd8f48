using System.Globalization;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Html;

namespace Patchwork.Web.Pages;

/// <summary>
/// How every page shows an instant: in UK time (Europe/London: GMT in winter, BST in summer), where the practitioners
/// work, with no zone label — "5 Dec, 19:54" — inside a <c>&lt;time datetime="…Z"&gt;</c> element carrying the exact UTC
/// instant for machines and assistive technology.
/// </summary>
public static class UkTime
{
    /// <summary>"5 Dec, 19:54": recent things, such as notices on the home page.</summary>
    public const string DayAndTime = "d MMM, HH:mm";

    /// <summary>"5 Dec 2026, 19:54": tables of past events.</summary>
    public const string DateAndTime = "d MMM yyyy, HH:mm";

    /// <summary>"5 December 2026, 19:54": a thread's entries.</summary>
    public const string LongDateAndTime = "d MMMM yyyy, HH:mm";

    /// <summary>"5 December 2026": when something ends or began.</summary>
    public const string Date = "d MMMM yyyy";

    /// <summary>"19:54": later today.</summary>
    public const string Time = "HH:mm";

    /// <summary>The instant as UK wall-clock text in <paramref name="format"/> (one of the formats above).</summary>
    public static string Text(DateTimeOffset at, string format) =>
        TimeZoneInfo.ConvertTime(at, Patchwork.Core.Calendar.Partnership).ToString(format, CultureInfo.InvariantCulture);

    /// <summary>The instant as a <c>&lt;time&gt;</c> element: UK wall-clock text, the UTC instant in <c>datetime</c>.</summary>
    public static IHtmlContent Element(DateTimeOffset at, string format) =>
        new HtmlString($"<time datetime=\"{at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)}\">" +
                       $"{HtmlEncoder.Default.Encode(Text(at, format))}</time>");
}
