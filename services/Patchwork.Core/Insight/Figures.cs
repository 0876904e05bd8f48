using System.Globalization;

namespace Patchwork.Core.Insight;

public enum YearBasis
{
    /// <summary>January to December.</summary>
    Calendar,

    /// <summary>April to March, as councils report.</summary>
    Financial,
}

/// <summary>A reporting year: the calendar year <see cref="Start"/>, or the financial year that begins in April of it.</summary>
public readonly record struct ReportingYear(YearBasis Basis, int Start)
{
    /// <summary>Its twelve months, in order, as year × 100 + month.</summary>
    public IReadOnlyList<int> Months
    {
        get
        {
            var first = Start * 100 + (Basis == YearBasis.Calendar ? 1 : 4);
            return [.. Enumerable.Range(0, 12).Select(i => MonthNumber.Add(first, i))];
        }
    }

    public ReportingYear Previous => this with { Start = Start - 1 };

    /// <summary>"2026" or "2026/27".</summary>
    public string Label => Basis == YearBasis.Calendar
        ? Start.ToString(CultureInfo.InvariantCulture)
        : $"{Start.ToString(CultureInfo.InvariantCulture)}/{((Start + 1) % 100).ToString("00", CultureInfo.InvariantCulture)}";

    /// <summary>The reporting year of this basis that holds <paramref name="day"/>.</summary>
    public static ReportingYear Holding(YearBasis basis, DateOnly day) =>
        new(basis, basis == YearBasis.Financial && day.Month < 4 ? day.Year - 1 : day.Year);
}

public static class MonthNumber
{
    public static int Add(int month, int months)
    {
        var index = (month / 100) * 12 + (month % 100 - 1) + months;
        return (index / 12) * 100 + index % 12 + 1;
    }

    /// <summary>"Apr 2026".</summary>
    public static string Label(int month) =>
        new DateOnly(month / 100, month % 100, 1).ToString("MMM yyyy", CultureInfo.InvariantCulture);

    /// <summary>The twelve months ending with <paramref name="last"/>.</summary>
    public static IReadOnlyList<int> TwelveEndingWith(int last) => [.. Enumerable.Range(-11, 12).Select(i => Add(last, i))];
}

/// <summary>One month of a year beside the same month a year before.</summary>
public sealed record MonthBeside(int Month, int LastYearMonth, int ThisYear, int LastYear)
{
    public int Change => ThisYear - LastYear;
}

/// <summary>Month-by-month counts of one measure, and the comparisons drawn from them.</summary>
public sealed class MonthlySeries(IReadOnlyDictionary<int, int> counts)
{
    public int this[int month] => counts.TryGetValue(month, out var count) ? count : 0;

    public IReadOnlyList<MonthBeside> ThisYearAgainstLast(ReportingYear year) =>
        [.. year.Months.Zip(year.Previous.Months, (now, before) => new MonthBeside(now, before, this[now], this[before]))];

    public IReadOnlyList<(int Month, int Count)> Trend(int lastMonth) =>
        [.. MonthNumber.TwelveEndingWith(lastMonth).Select(m => (m, this[m]))];

    public int Total(IEnumerable<int> months) => months.Sum(m => this[m]);
}

/// <summary>A figure as it may be shown: the number, or why it is not.</summary>
public sealed record ShownFigure(int? Value, bool Suppressed, bool Rounded)
{
    public const string FewerThanFive = "fewer than 5";

    public override string ToString() =>
        Suppressed ? FewerThanFive
        : Value is { } value ? (Rounded ? "about " : "") + value.ToString("N0", CultureInfo.InvariantCulture)
        : "not shown";

    public static ShownFigure Exact(int value) => new(value, false, false);
}

/// <summary>
/// Disclosure control, as UK official statistics do it: a count from 1 to 4 is shown as "fewer than 5", so no person can
/// be singled out from a small cell, and a total that would give such a cell back is rounded. Rounding alone is not always
/// enough (with the other cells exact, a total rounded to the nearest 5 can still pin a suppressed 1), so the rounding is
/// checked against the subtraction an analyst could do, and coarsened — to the nearest 10, then withheld — until no
/// suppressed cell can be recovered.
/// </summary>
public static class Disclosure
{
    public const int Threshold = 5;

    /// <summary>The roundings a total may get, finest first; past the last, the total is withheld.</summary>
    private static readonly int[] Steps = [5, 10];

    public static bool IsSmall(int count) => count is > 0 and < Threshold;

    public static ShownFigure Cell(int count) => IsSmall(count) ? new ShownFigure(null, true, false) : ShownFigure.Exact(count);

    /// <summary>Cells and their total, protected together.</summary>
    public static (IReadOnlyList<ShownFigure> Cells, ShownFigure Total) Protect(IReadOnlyList<int> cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        var shown = cells.Select(Cell).ToList();
        var total = cells.Sum();
        if (!shown.Any(c => c.Suppressed)) return (shown, ShownFigure.Exact(total));
        // A small total is itself a small cell: "fewer than 5", never rounded to an "about 0" that reads as nothing happened.
        if (IsSmall(total)) return (shown, Cell(total));
        foreach (var step in Steps)
        {
            var rounded = (int)(Math.Round(total / (double)step, MidpointRounding.AwayFromZero) * step);
            var candidate = new ShownFigure(rounded, false, true);
            // An analyst who knows the rule but not which step was taken tries each: none may pin a cell.
            if (!Steps.Any(assumed => Recoverable(shown, candidate, assumed))) return (shown, candidate);
        }
        return (shown, new ShownFigure(null, false, true));
    }

    /// <summary>
    /// Whether an analyst who knows the rule could narrow some suppressed cell to one value: from the total's range and
    /// every other cell's range (exact, or 1 to 4 when suppressed), the values each suppressed cell can take.
    /// </summary>
    public static bool Recoverable(IReadOnlyList<ShownFigure> cells, ShownFigure total, int roundingStep)
    {
        ArgumentNullException.ThrowIfNull(cells);
        ArgumentNullException.ThrowIfNull(total);
        if (total.Value is not { } shownTotal) return false;
        var half = total.Rounded ? roundingStep / 2 : 0;
        var (low, high) = (shownTotal - half, shownTotal + half);
        for (var i = 0; i < cells.Count; i++)
        {
            if (!cells[i].Suppressed) continue;
            var othersLow = 0;
            var othersHigh = 0;
            for (var j = 0; j < cells.Count; j++)
            {
                if (j == i) continue;
                othersLow += cells[j].Suppressed ? 1 : cells[j].Value!.Value;
                othersHigh += cells[j].Suppressed ? Threshold - 1 : cells[j].Value!.Value;
            }
            var possible = Enumerable.Range(1, Threshold - 1).Count(v => v + othersLow <= high && v + othersHigh >= low);
            if (possible < 2) return true;
        }
        return false;
    }

    /// <summary>The median of values, or null when there are too few to show without singling someone out.</summary>
    public static double? Median(IReadOnlyCollection<int> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count < Threshold) return null;
        var sorted = values.Order().ToList();
        var middle = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2.0;
    }

    /// <summary>The median of values kept as a histogram (value → how many), or null when there are fewer than 5.</summary>
    public static double? Median(IReadOnlyDictionary<int, int> counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        var total = counts.Values.Sum(c => (long)c);
        if (total < Threshold) return null;
        // The values at the two middle positions (the same one when the count is odd), walking the values in order.
        var (lower, upper) = ((total - 1) / 2, total / 2);
        int? lowerValue = null;
        var seen = 0L;
        foreach (var (value, count) in counts.Where(c => c.Value > 0).OrderBy(c => c.Key))
        {
            seen += count;
            if (lowerValue is null && seen > lower) lowerValue = value;
            if (seen > upper) return (lowerValue!.Value + value) / 2.0;
        }
        throw new InvalidOperationException("the histogram's counts do not add up");
    }
}
