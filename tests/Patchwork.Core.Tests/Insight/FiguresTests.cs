using Patchwork.Core.Insight;

namespace Patchwork.Core.Tests.Insight;

public sealed class FiguresTests
{
    [Fact]
    public void A_financial_year_runs_April_to_March_and_a_calendar_year_January_to_December()
    {
        var financial = new ReportingYear(YearBasis.Financial, 2026);
        financial.Months.ShouldBe([202604, 202605, 202606, 202607, 202608, 202609, 202610, 202611, 202612, 202701, 202702, 202703]);
        financial.Label.ShouldBe("2026/27");
        financial.Previous.Months[0].ShouldBe(202504);
        new ReportingYear(YearBasis.Calendar, 2026).Months.ShouldBe(Enumerable.Range(1, 12).Select(m => 202600 + m).ToArray());
        ReportingYear.Holding(YearBasis.Financial, new DateOnly(2027, 3, 31)).ShouldBe(financial);
        ReportingYear.Holding(YearBasis.Financial, new DateOnly(2026, 4, 1)).ShouldBe(financial);
        ReportingYear.Holding(YearBasis.Calendar, new DateOnly(2027, 3, 31)).Start.ShouldBe(2027);
    }

    [Fact]
    public void This_year_sits_beside_the_same_months_last_year_with_the_change_and_the_trend_is_the_last_twelve_months()
    {
        var series = new MonthlySeries(new Dictionary<int, int> { [202504] = 7, [202604] = 12, [202703] = 9, [202612] = 3 });
        var beside = series.ThisYearAgainstLast(new ReportingYear(YearBasis.Financial, 2026));
        beside[0].ShouldBe(new MonthBeside(202604, 202504, 12, 7));
        beside[0].Change.ShouldBe(5);
        beside[^1].ShouldBe(new MonthBeside(202703, 202603, 9, 0));
        var trend = series.Trend(202703);
        trend.Count.ShouldBe(12);
        trend[0].ShouldBe((202604, 12));
        trend[8].ShouldBe((202612, 3));
        MonthNumber.Add(202612, 1).ShouldBe(202701);
        MonthNumber.Add(202601, -1).ShouldBe(202512);
    }

    [Fact]
    public void A_count_from_one_to_four_is_fewer_than_five_and_zero_and_five_are_shown()
    {
        Disclosure.Cell(0).ToString().ShouldBe("0");
        Enumerable.Range(1, 4).ShouldAllBe(n => Disclosure.Cell(n).ToString() == "fewer than 5");
        Disclosure.Cell(5).ToString().ShouldBe("5");
        var (cells, total) = Disclosure.Protect([5, 6, 7]);
        cells.ShouldAllBe(c => !c.Suppressed);
        total.ShouldBe(ShownFigure.Exact(18));
        Disclosure.Protect([0, 3, 0]).Total.ToString().ShouldBe("fewer than 5");
        Disclosure.Median([1, 2, 3, 4]).ShouldBeNull();
        Disclosure.Median([5, 1, 3, 2, 4]).ShouldBe(3);
        Disclosure.Median([1, 2, 3, 4, 5, 6]).ShouldBe(3.5);
    }

    [Fact]
    public void A_median_from_a_histogram_is_the_median_of_the_values_it_counts()
    {
        var random = new Random(7);
        for (var run = 0; run < 2_000; run++)
        {
            var values = Enumerable.Range(0, random.Next(0, 40)).Select(_ => random.Next(0, 30)).ToList();
            var histogram = values.GroupBy(v => v).ToDictionary(g => g.Key, g => g.Count());
            Disclosure.Median((IReadOnlyDictionary<int, int>)histogram).ShouldBe(Disclosure.Median(values), string.Join(",", values));
        }
    }

    [Fact]
    public void A_month_folded_before_the_histograms_still_counts_its_values_one_by_one()
    {
        var older = new InsightMonth { DaysToSecondOrganisation = [3, 9, 9] };
        InsightMonth.Count(older.DaysToSecondOrganisationCounts, 9, 2);
        var merged = new Dictionary<int, int>();
        foreach (var (value, count) in InsightMonth.Values(older.DaysToSecondOrganisationCounts, older.DaysToSecondOrganisation)) InsightMonth.Count(merged, value, count);
        merged.OrderBy(v => v.Key).ShouldBe([KeyValuePair.Create(3, 1), KeyValuePair.Create(9, 4)]);
        InsightLedger.CountOf(older, InsightMeasure.DaysToSecondOrganisation).ShouldBe(5);
        Disclosure.Median((IReadOnlyDictionary<int, int>)merged).ShouldBe(9);
    }

    /// <summary>
    /// The analyst's attack: subtract every figure shown from the total shown, and bound what is left by what the rule
    /// says ("fewer than 5" is 1 to 4, a rounded total is within half a step). Over many series with small cells (seeded),
    /// no suppressed cell is ever pinned to its value — while the naive rounding to the nearest 5 is shown to leak, so the
    /// attack itself is real.
    /// </summary>
    [Fact]
    public void Nobody_recovers_a_suppressed_cell_by_subtracting_the_shown_figures_from_the_shown_total()
    {
        var random = new Random(23);
        var naiveLeaks = 0;
        for (var run = 0; run < 20_000; run++)
        {
            var cells = Enumerable.Range(0, random.Next(1, 13)).Select(_ => random.Next(4) == 0 ? random.Next(1, 5) : random.Next(0, 40)).ToList();
            var (shown, total) = Disclosure.Protect(cells);
            for (var i = 0; i < cells.Count; i++)
                if (shown[i].Suppressed)
                    foreach (var step in new[] { 5, 10 }) // the analyst does not know which rounding was used: both are tried
                        RecoveredBySubtraction(shown, total, i, step).ShouldNotBe(cells[i], $"cells {string.Join(",", cells)}, total shown {total}");

            var naive = shown.Any(c => c.Suppressed) ? new ShownFigure((int)(Math.Round(cells.Sum() / 5.0, MidpointRounding.AwayFromZero) * 5), false, true) : null;
            if (naive is not null && Enumerable.Range(0, cells.Count).Any(i => shown[i].Suppressed && RecoveredBySubtraction(shown, naive, i, 5) == cells[i])) naiveLeaks++;
        }
        naiveLeaks.ShouldBeGreaterThan(0, "the attack finds the leak that plain rounding to the nearest 5 leaves");
    }

    /// <summary>The one value a suppressed cell can have given everything shown, or null when more than one fits.</summary>
    private static int? RecoveredBySubtraction(IReadOnlyList<ShownFigure> shown, ShownFigure total, int cell, int step)
    {
        if (total.Value is not { } t) return null;
        var half = total.Rounded ? step / 2 : 0;
        var known = shown.Where((c, j) => j != cell && !c.Suppressed).Sum(c => c.Value!.Value);
        var others = shown.Where((c, j) => j != cell && c.Suppressed).Count();
        var fits = Enumerable.Range(1, 4).Where(v => Enumerable.Range(t - half, 2 * half + 1).Any(total => total - known - v >= others && total - known - v <= 4 * others)).ToList();
        return fits.Count == 1 ? fits[0] : null;
    }
}
