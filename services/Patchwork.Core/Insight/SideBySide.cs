namespace Patchwork.Core.Insight;

/// <summary>
/// One measure as the partnership admin sees it: every organisation's months and the partnership's beside them, each
/// column with a total for each reporting year. <see cref="Disclosure.Protect"/> protects a column against its own total;
/// here the columns are also protected against each other, because an analyst can subtract across them: the partnership's
/// month minus the other organisations' gives back an organisation's "fewer than 5".
/// </summary>
/// <remarks>
/// The rule, and why it holds. An organisation's months and totals are shown exactly as on its own page, so the two pages
/// agree and each column is protected against its own total. The partnership's month is withheld ("not shown") whenever
/// any organisation's cell in it is "fewer than 5", and the partnership's total for a year is withheld whenever any of
/// its months is. Every sum across organisations that holds a suppressed cell is then unknown to the analyst, so the
/// only sums left around a suppressed cell are its own column's, which <see cref="Disclosure.Protect"/> already makes
/// safe. Rounding the partnership's figures instead is not enough: rows and columns rounded one by one can be combined
/// (SideBySideTests attacks every combination of values and finds such leaks when each column is protected alone).
/// </remarks>
public sealed class SideBySide
{
    private readonly IReadOnlyList<IReadOnlyDictionary<int, ShownFigure>> _organisations;
    private readonly IReadOnlyList<IReadOnlyList<ShownFigure>> _organisationTotals;
    private readonly IReadOnlyDictionary<int, ShownFigure> _partnership;
    private readonly IReadOnlyList<ShownFigure> _partnershipTotals;

    private SideBySide(IReadOnlyList<IReadOnlyDictionary<int, ShownFigure>> organisations, IReadOnlyList<IReadOnlyList<ShownFigure>> organisationTotals,
        IReadOnlyDictionary<int, ShownFigure> partnership, IReadOnlyList<ShownFigure> partnershipTotals) =>
        (_organisations, _organisationTotals, _partnership, _partnershipTotals) = (organisations, organisationTotals, partnership, partnershipTotals);

    /// <summary>Organisation <paramref name="organisation"/>'s figure for one of the months given.</summary>
    public ShownFigure Organisation(int organisation, int month) => _organisations[organisation][month];

    public ShownFigure OrganisationTotal(int organisation, int period) => _organisationTotals[organisation][period];

    public ShownFigure Partnership(int month) => _partnership[month];

    public ShownFigure PartnershipTotal(int period) => _partnershipTotals[period];

    /// <param name="organisations">Each organisation's months, in the order the view shows them.</param>
    /// <param name="partnership">The partnership's months (which may hold organisations no longer shown).</param>
    /// <param name="months">Every month shown: both years' and the trend's.</param>
    /// <param name="periods">The years whose totals are shown, each a list of months; no month in two.</param>
    public static SideBySide Protect(IReadOnlyList<MonthlySeries> organisations, MonthlySeries partnership, IReadOnlyList<int> months,
        IReadOnlyList<IReadOnlyList<int>> periods)
    {
        ArgumentNullException.ThrowIfNull(organisations);
        ArgumentNullException.ThrowIfNull(partnership);
        ArgumentNullException.ThrowIfNull(months);
        ArgumentNullException.ThrowIfNull(periods);
        var inPeriods = periods.SelectMany(p => p).ToList();
        if (inPeriods.Count != inPeriods.Distinct().Count()) throw new ArgumentException("a month is in two periods", nameof(periods));

        var everyMonth = months.Concat(inPeriods).Distinct().ToList();
        var cells = organisations.Select(o => (IReadOnlyDictionary<int, ShownFigure>)everyMonth.ToDictionary(m => m, m => Disclosure.Cell(o[m]))).ToList();
        var totals = organisations.Select(o => (IReadOnlyList<ShownFigure>)[.. periods.Select(p => Disclosure.Protect([.. p.Select(m => o[m])]).Total)]).ToList();
        var withheld = new ShownFigure(null, false, true);
        var partnershipMonths = everyMonth.ToDictionary(m => m, m => cells.Any(o => o[m].Suppressed) ? withheld : Disclosure.Cell(partnership[m]));
        var partnershipTotals = periods.Select(p => p.Any(m => partnershipMonths[m] == withheld) ? withheld
            : Disclosure.Protect([.. p.Select(m => partnership[m])]).Total).ToList();
        return new SideBySide(cells, totals, partnershipMonths, partnershipTotals);
    }
}
