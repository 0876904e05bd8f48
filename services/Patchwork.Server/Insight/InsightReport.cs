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
        var medianValues = new Dictionary<Guid, (List<int> Days, List<int> Minutes, List<int> DaysBefore, List<int> MinutesBefore)>();
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
        else
        {
            foreach (var month in await figures.MonthsAsync(organisation, from, months[^1], cancellationToken))
            {
                foreach (var d in definitions) Count(month.Organisation, d.Key, month.Month, d.FromLog!(month));
                if (!medianValues.TryGetValue(month.Organisation, out var values)) medianValues[month.Organisation] = values = ([], [], [], []);
                if (months.Contains(month.Month)) { values.Days.AddRange(month.DaysToSecondOrganisation); values.Minutes.AddRange(month.MinutesToContactAnswer); }
                else if (year.Previous.Months.Contains(month.Month)) { values.DaysBefore.AddRange(month.DaysToSecondOrganisation); values.MinutesBefore.AddRange(month.MinutesToContactAnswer); }
            }
        }

        IEnumerable<Guid> shown = organisation is { } one ? [one]
            : [.. partnership.Organisations.Values.OrderBy(o => o.Name, StringComparer.OrdinalIgnoreCase).Select(o => o.Id.Value), InsightLedger.Partnership];
        var organisations = shown.Select(org =>
        {
            var byMeasure = counts.GetValueOrDefault(org) ?? [];
            var measures = definitions.Select(d => Measure(d, new MonthlySeries(byMeasure.GetValueOrDefault(d.Key) ?? []), year, trendEnds)).ToList();
            var medians = new List<MedianView>();
            if (view != "access")
            {
                var values = medianValues.GetValueOrDefault(org, ([], [], [], []));
                medians.Add(new MedianView("daysToSecondOrganisation", "Median days from a client's first involvement to a second organisation joining", "days",
                    Disclosure.Median(values.Days), Disclosure.Median(values.DaysBefore)));
                medians.Add(new MedianView("hoursToContactAnswer", "Median hours to answer a contact request", "hours",
                    Hours(Disclosure.Median(values.Minutes)), Hours(Disclosure.Median(values.MinutesBefore))));
            }
            var name = org == InsightLedger.Partnership ? "The partnership"
                : partnership.Organisations.GetValueOrDefault(new OrganisationId(org))?.Name ?? "An organisation no longer in the partnership";
            return new OrganisationFiguresView(org == InsightLedger.Partnership ? null : org, name, measures, medians);
        }).ToList();
        return new InsightView(view, year.Basis == YearBasis.Financial ? "financial" : "calendar", year.Start, year.Label, year.Previous.Label,
            MonthKey(trendEnds), organisations);
    }

    private static double? Hours(double? minutes) => minutes is { } m ? Math.Round(m / 60.0, 1) : null;

    public static string MonthKey(int month) => $"{month / 100:0000}-{month % 100:00}";

    private static MeasureView Measure(MeasureDefinition definition, MonthlySeries series, ReportingYear year, int trendEnds)
    {
        var beside = series.ThisYearAgainstLast(year);
        var (thisYear, thisTotal) = Disclosure.Protect([.. beside.Select(b => b.ThisYear)]);
        var (lastYear, lastTotal) = Disclosure.Protect([.. beside.Select(b => b.LastYear)]);
        var rows = beside.Select((b, i) => new MonthRowView(MonthKey(b.Month), MonthKey(b.LastYearMonth), FigureView.From(thisYear[i]), FigureView.From(lastYear[i]),
            thisYear[i].Suppressed || lastYear[i].Suppressed ? null : b.Change)).ToList();
        var trend = series.Trend(trendEnds);
        var (trendShown, _) = Disclosure.Protect([.. trend.Select(t => t.Count)]);
        return new MeasureView(definition.Key, definition.Label, rows, FigureView.From(thisTotal), FigureView.From(lastTotal),
            [.. trend.Select((t, i) => new TrendPointView(MonthKey(t.Month), FigureView.From(trendShown[i])))]);
    }
}
