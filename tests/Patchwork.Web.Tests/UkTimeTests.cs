using System.Text.RegularExpressions;
using Patchwork.Web.Pages;

namespace Patchwork.Web.Tests;

/// <summary>Issue 19: pages show UK time (GMT in winter, BST in summer), never UTC, through one helper.</summary>
public sealed partial class UkTimeTests
{
    [Fact]
    public void A_winter_instant_is_shown_as_GMT_wall_clock_time()
    {
        var winter = new DateTimeOffset(2026, 12, 5, 19, 54, 0, TimeSpan.Zero);

        UkTime.Text(winter, UkTime.DayAndTime).ShouldBe("5 Dec, 19:54");
        UkTime.Element(winter, UkTime.DayAndTime).ToString().ShouldBe("<time datetime=\"2026-12-05T19:54:00Z\">5 Dec, 19:54</time>");
    }

    [Fact]
    public void A_summer_instant_is_shown_as_BST_an_hour_ahead_even_across_midnight()
    {
        var summer = new DateTimeOffset(2026, 7, 14, 23, 30, 0, TimeSpan.Zero);

        UkTime.Text(summer, UkTime.DateAndTime).ShouldBe("15 Jul 2026, 00:30");
        UkTime.Text(summer, UkTime.Date).ShouldBe("15 July 2026", "the UK date, not the UTC one");
        UkTime.Element(summer, UkTime.Time).ToString().ShouldBe("<time datetime=\"2026-07-14T23:30:00Z\">00:30</time>");
        UkTime.Text(summer.ToOffset(TimeSpan.FromHours(-5)), UkTime.Time).ShouldBe("00:30", "whatever offset the instant carries");
    }

    [Fact]
    public void Every_page_formats_instants_through_the_one_helper()
    {
        var pages = Path.Combine(Patchwork.Testing.LocalServers.RepositoryRoot, "web", "Patchwork.Web", "Pages");
        var offenders = Directory.EnumerateFiles(pages, "*.cshtml", SearchOption.AllDirectories)
            .SelectMany(file => File.ReadLines(file).Select((line, index) => (file, line, index)))
            .Where(x => OwnTimeFormat().IsMatch(x.line))
            .Select(x => $"{Path.GetRelativePath(pages, x.file)}:{x.index + 1}: {x.line.Trim()}")
            .ToList();
        offenders.ShouldBeEmpty("format times with UkTime: " + string.Join(Environment.NewLine, offenders));
    }

    // An hour or minute format, a UTC label or UtcDateTime written in a page rather than through UkTime.
    [GeneratedRegex(@"HH:mm|'UTC'|UtcDateTime|\.LocalDateTime")]
    private static partial Regex OwnTimeFormat();
}
