using Patchwork.Core;
using Patchwork.Core.Clients;
using Patchwork.Core.Insight;

namespace Patchwork.Server.Insight;

/// <summary>Builds <see cref="InsightView"/> from the projected months or the audit trail's, with the pure figures module.</summary>
public sealed class InsightReport(InsightFigures figures, ClientTeamReader reader, TimeProvider clock)
{
    public async Task<InsightView> BuildAsync(string view, ReportingYear year, Guid? organisation, CancellationToken cancellationToken)
    {
        var months = year.Months;
        var first = year.Previous.Months[0];
        var thisMonth = InsightMonth.MonthOf(clock.GetUtcNow());
        var trendEnds = Math.Min(thisMonth, months[^1]);
        var trendFirst = MonthNumber.TwelveEndingWith(trendEnds)[0];
        var from = Math.Min(first, trendFirst);
        var partnership = await reader.PartnershipAsync(cancellationToken);
        var definitions = view == "access" ? InsightFigures.Access : InsightFigures.Activity;

        var counts = new Dictionary<Guid, Dictionary<string, Dictionary<int, int>>>();
        var medians = view == "access" ? AccessMedians : ActivityMedians;
        var medianValues = new Dictionary<(Guid Organisation, string Median, bool ThisYear), Dictionary<int, int>>();
        void Count(Guid org, string key, int month, int value)
        {
            if (!counts.TryGetValue(org, out var byMeasure)) counts[org] = byMeasure = [];
            if (!byMeasure.TryGetValue(key, out var byMonth)) byMeasure[key] = byMonth = [];
            byMonth[month] = byMonth.GetValueOrDefault(month) + value;
        }
        if (view == "access")
        {
            foreach (var row in await figures.AccessAsync(organisation, from, months[^1], cancellationToken))
                foreach (var d in definitions) Count(row.Organisation, d.Key, row.Month, d.FromAudit!(row));
        }
        foreach (var month in await figures.MonthsAsync(organisation, from, months[^1], cancellationToken))
        {
            if (view != "access")
                foreach (var d in definitions) Count(month.Organisation, d.Key, month.Month, d.FromLog!(month));
            var thisYear = months.Contains(month.Month);
            if (!thisYear && !year.Previous.Months.Contains(month.Month)) continue;
            foreach (var median in medians)
            {
                var key = (month.Organisation, median.Key, thisYear);
                if (!medianValues.TryGetValue(key, out var values)) medianValues[key] = values = [];
                foreach (var (value, count) in median.Values(month)) InsightMonth.Count(values, value, count);
            }
        }

        IReadOnlyList<Guid> shown = organisation is { } one ? [one]
            : [.. partnership.Organisations.Values.OrderBy(o => o.Name, StringComparer.OrdinalIgnoreCase).Select(o => o.Id.Value), InsightLedger.Partnership];
        MonthlySeries SeriesOf(Guid org, string measure) => new(counts.GetValueOrDefault(org)?.GetValueOrDefault(measure) ?? []);
        // One organisation's page protects its column alone; the side-by-side view protects the columns against each other.
        var columns = definitions.ToDictionary(d => d.Key, d => organisation is not null
            ? [ShownColumn.Alone(SeriesOf(shown[0], d.Key), year)]
            : Beside([.. shown.SkipLast(1).Select(org => SeriesOf(org, d.Key))], SeriesOf(InsightLedger.Partnership, d.Key), year, trendEnds));
        var organisations = shown.Select((org, column) =>
        {
            var measures = definitions.Select(d => Measure(d, SeriesOf(org, d.Key), year, trendEnds, columns[d.Key][column])).ToList();
            var shownMedians = medians.Select(m =>
            {
                double? Of(bool thisYear) => Disclosure.Median((IReadOnlyDictionary<int, int>?)medianValues.GetValueOrDefault((org, m.Key, thisYear)) ?? new Dictionary<int, int>()) is { } v
                    ? m.FromMinutes ? Hours(v) : v : null;
                return new MedianView(m.Key, m.Label, m.Unit, Of(true), Of(false));
            }).ToList();
            var name = org == InsightLedger.Partnership ? "The partnership"
                : partnership.Organisations.GetValueOrDefault(new OrganisationId(org))?.Name ?? "An organisation no longer in the partnership";
            return new OrganisationFiguresView(org == InsightLedger.Partnership ? null : org, name, measures, shownMedians);
        }).ToList();
        return new InsightView(view, year.Basis == YearBasis.Financial ? "financial" : "calendar", year.Start, year.Label, year.Previous.Label,
            MonthKey(trendEnds), organisations);
    }

    /// <summary>A median shown beside the counts: where its values come from, and whether they are minutes shown as hours.</summary>
    private sealed record MedianDefinition(string Key, string Label, string Unit, Func<InsightMonth, IEnumerable<KeyValuePair<int, int>>> Values, bool FromMinutes);

    private static readonly MedianDefinition BreakGlassReview = new("hoursToBreakGlassReview",
        "Median hours from a break-glass use to a data protection officer's review", "hours", m => m.MinutesToBreakGlassReviewCounts, FromMinutes: true);

    private static readonly IReadOnlyList<MedianDefinition> ActivityMedians =
    [
        new("daysToSecondOrganisation", "Median days from a client's first involvement to a second organisation joining", "days",
            m => InsightMonth.Values(m.DaysToSecondOrganisationCounts, m.DaysToSecondOrganisation), FromMinutes: false),
        new("hoursToContactAnswer", "Median hours to answer a contact request", "hours", m => InsightMonth.Values(m.MinutesToContactAnswerCounts, m.MinutesToContactAnswer), FromMinutes: true),
        BreakGlassReview,
    ];

    private static readonly IReadOnlyList<MedianDefinition> AccessMedians = [BreakGlassReview];

    private static double? Hours(double? minutes) => minutes is { } m ? Math.Round(m / 60.0, 1) : null;

    public static string MonthKey(int month) => $"{month / 100:0000}-{month % 100:00}";

    /// <summary>One column's figures as they may be shown: its months, and its totals for this year and last.</summary>
    private sealed record ShownColumn(Func<int, ShownFigure> Month, ShownFigure ThisYearTotal, ShownFigure LastYearTotal)
    {
        /// <summary>A column protected against its own totals: an organisation's own page, or the partnership's alone.</summary>
        public static ShownColumn Alone(MonthlySeries series, ReportingYear year) => new(m => Disclosure.Cell(series[m]),
            Disclosure.Protect([.. year.Months.Select(m => series[m])]).Total, Disclosure.Protect([.. year.Previous.Months.Select(m => series[m])]).Total);
    }

    /// <summary>
    /// Every organisation's column beside the partnership's, protected against each other (<see cref="SideBySide"/>); the
    /// last column is the partnership's.
    /// </summary>
    private static IReadOnlyList<ShownColumn> Beside(IReadOnlyList<MonthlySeries> organisations, MonthlySeries partnership, ReportingYear year, int trendEnds)
    {
        var months = year.Months.Concat(year.Previous.Months).Concat(MonthNumber.TwelveEndingWith(trendEnds)).Distinct().ToList();
        var table = SideBySide.Protect(organisations, partnership, months, [year.Months, year.Previous.Months]);
        return [.. organisations.Select((_, o) => new ShownColumn(m => table.Organisation(o, m), table.OrganisationTotal(o, 0), table.OrganisationTotal(o, 1))),
            new ShownColumn(table.Partnership, table.PartnershipTotal(0), table.PartnershipTotal(1))];
    }

    private static MeasureView Measure(MeasureDefinition definition, MonthlySeries series, ReportingYear year, int trendEnds, ShownColumn shown)
    {
        static bool Exact(ShownFigure f) => f is { Value: not null, Suppressed: false, Rounded: false };
        var rows = series.ThisYearAgainstLast(year).Select(b => (Beside: b, ThisYear: shown.Month(b.Month), LastYear: shown.Month(b.LastYearMonth)))
            .Select(r => new MonthRowView(MonthKey(r.Beside.Month), MonthKey(r.Beside.LastYearMonth), FigureView.From(r.ThisYear), FigureView.From(r.LastYear),
                Exact(r.ThisYear) && Exact(r.LastYear) ? r.Beside.Change : null)).ToList();
        return new MeasureView(definition.Key, definition.Label, rows, FigureView.From(shown.ThisYearTotal), FigureView.From(shown.LastYearTotal),
            [.. series.Trend(trendEnds).Select(t => new TrendPointView(MonthKey(t.Month), FigureView.From(shown.Month(t.Month))))]);
    }
}
