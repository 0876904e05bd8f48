using Patchwork.Core.Insight;

namespace Patchwork.Core.Tests.Insight;

/// <summary>
/// The partnership admin's side-by-side view: every organisation's months beside the partnership's. The attack here is
/// exhaustive: every value each "fewer than 5" could take is tried together, every figure derived, and the combinations
/// that agree with everything shown are kept. A suppressed cell is recovered when only one value survives.
/// </summary>
public sealed class SideBySideTests
{
    private static readonly int[] Months = [202601, 202602, 202603, 202604];

    /// <summary>Two years of two months each, as last year and this year sit side by side.</summary>
    private static readonly IReadOnlyList<IReadOnlyList<int>> Periods = [Months[..2], Months[2..]];

    [Fact]
    public void Nobody_recovers_an_organisations_fewer_than_five_from_the_partnerships_figures_beside_it()
    {
        var random = new Random(2301);
        var (tables, naiveLeaks) = (0, 0);
        while (tables < 1_500)
        {
            var organisations = Enumerable.Range(0, random.Next(2, 4)).Select(_ => Months.ToDictionary(m => m, _ => Draw(random))).ToList();
            if (organisations.Sum(o => o.Values.Count(Disclosure.IsSmall)) is 0 or > 6) continue;
            tables++;
            var partnership = Months.ToDictionary(m => m, m => organisations.Sum(o => o[m]));
            var shown = SideBySide.Protect([.. organisations.Select(o => new MonthlySeries(o))], new MonthlySeries(partnership), Months, Periods);

            var view = new View(
                [.. organisations.Select((_, o) => Months.Select(m => shown.Organisation(o, m)).ToArray())],
                [.. organisations.Select((_, o) => Periods.Select((_, p) => shown.OrganisationTotal(o, p)).ToArray())],
                [.. Months.Select(shown.Partnership)],
                [.. Periods.Select((_, p) => shown.PartnershipTotal(p))]);
            var describe = $"organisations {string.Join(" | ", organisations.Select(o => string.Join(",", o.Values)))}";
            foreach (var (cell, values) in Attack(organisations, view))
                values.Count.ShouldBeGreaterThan(1, $"{describe}: cell {cell} pinned to {string.Join(",", values)}");

            // Each column protected on its own, with the partnership's months exact: the leak this view closes.
            var alone = new View(
                [.. organisations.Select(o => Disclosure.Protect([.. Months.Select(m => o[m])]).Cells.ToArray())],
                [.. organisations.Select(o => Periods.Select(p => Disclosure.Protect([.. p.Select(m => o[m])]).Total).ToArray())],
                [.. Months.Select(m => Disclosure.Cell(partnership[m]))],
                [.. Periods.Select(p => Disclosure.Protect([.. p.Select(m => partnership[m])]).Total)]);
            if (Attack(organisations, alone).Any(a => a.Values.Count == 1)) naiveLeaks++;
        }
        naiveLeaks.ShouldBeGreaterThan(100, "protecting each column alone leaks through the partnership's figures: the attack is real");
    }

    [Fact]
    public void A_count_of_shared_clients_is_protected_though_the_partnerships_is_not_the_sum()
    {
        // Clients whose team reached two organisations: the partnership counts each once, at least each organisation's
        // and at most their sum. Here the sum is exact: partnership 14 = 10 + 4 would pin the 4.
        var shown = SideBySide.Protect([Series(10, 0, 0, 0), Series(4, 0, 0, 0)], Series(14, 0, 0, 0), Months, [Months]);
        shown.Organisation(1, Months[0]).Suppressed.ShouldBeTrue();
        shown.Partnership(Months[0]).ShouldNotBe(ShownFigure.Exact(14));
        shown.PartnershipTotal(0).ShouldNotBe(ShownFigure.Exact(14));
    }

    [Fact]
    public void An_organisation_no_longer_shown_still_bounds_what_the_partnership_can_give_back()
    {
        // A left the partnership with 0 this month; B shows 5 and C "fewer than 5". The partnership's 6 is at least
        // B + C, so C is at most 1: the partnership's month must give way although it is not the sum of those shown.
        var shown = SideBySide.Protect([Series(5, 0, 0, 0), Series(1, 0, 0, 0)], Series(6, 0, 0, 0), Months, [Months]);
        shown.Organisation(1, Months[0]).Suppressed.ShouldBeTrue();
        shown.Partnership(Months[0]).ShouldNotBe(ShownFigure.Exact(6));
        shown.Partnership(Months[1]).ShouldBe(ShownFigure.Exact(0), "a month without a small cell stays exact");
    }

    [Fact]
    public void Figures_without_a_small_cell_are_all_exact()
    {
        var shown = SideBySide.Protect([Series(5, 0, 12, 6), Series(7, 9, 0, 0)], Series(12, 9, 12, 6), Months, [Months]);
        shown.Partnership(Months[0]).ShouldBe(ShownFigure.Exact(12));
        shown.PartnershipTotal(0).ShouldBe(ShownFigure.Exact(39));
        shown.OrganisationTotal(1, 0).ShouldBe(ShownFigure.Exact(16));
    }

    private static MonthlySeries Series(params int[] counts) => new(Months.Select((m, i) => (m, counts[i])).ToDictionary());

    private static int Draw(Random random) => random.Next(10) switch
    {
        < 3 => 0,
        < 7 => random.Next(1, 5),
        _ => random.Next(5, 14),
    };

    private sealed record View(ShownFigure[][] Cells, ShownFigure[][] Totals, ShownFigure[] Partnership, ShownFigure[] PartnershipTotals);

    /// <summary>
    /// For every figure shown as "fewer than 5", the values it takes over every combination of the suppressed cells that
    /// agrees with everything shown. The analyst knows the rule but not the rounding: "about 40" may be either step.
    /// </summary>
    private static IEnumerable<(string Cell, HashSet<int> Values)> Attack(List<Dictionary<int, int>> truth, View view)
    {
        var unknown = new List<(int Organisation, int Month)>();
        for (var o = 0; o < truth.Count; o++)
            for (var m = 0; m < Months.Length; m++)
                if (view.Cells[o][m].Suppressed) unknown.Add((o, m));
                else view.Cells[o][m].Value.ShouldBe(truth[o][Months[m]], "an organisation's month is shown exactly or not at all");

        var possible = new Dictionary<string, HashSet<int>>();
        var guess = truth.Select(o => Months.Select(m => o[m]).ToArray()).ToArray();
        var combinations = (int)Math.Pow(4, unknown.Count);
        var truthFits = false;
        for (var combination = 0; combination < combinations; combination++)
        {
            var rest = combination;
            foreach (var (o, m) in unknown) { guess[o][m] = rest % 4 + 1; rest /= 4; }
            var figures = new List<(string Name, int Value, ShownFigure Shown)>();
            for (var o = 0; o < guess.Length; o++)
            {
                for (var m = 0; m < Months.Length; m++) figures.Add(($"org {o} month {m}", guess[o][m], view.Cells[o][m]));
                for (var p = 0; p < Periods.Count; p++) figures.Add(($"org {o} total {p}", Periods[p].Sum(month => guess[o][Array.IndexOf(Months, month)]), view.Totals[o][p]));
            }
            for (var m = 0; m < Months.Length; m++) figures.Add(($"partnership month {m}", guess.Sum(o => o[m]), view.Partnership[m]));
            for (var p = 0; p < Periods.Count; p++)
                figures.Add(($"partnership total {p}", guess.Sum(o => Periods[p].Sum(month => o[Array.IndexOf(Months, month)])), view.PartnershipTotals[p]));
            if (!figures.All(f => Agrees(f.Value, f.Shown))) continue;
            truthFits |= guess.Select((o, i) => o.SequenceEqual(Months.Select(m => truth[i][m]))).All(x => x);
            foreach (var (name, value, shown) in figures.Where(f => f.Shown.Suppressed))
                (possible.TryGetValue(name, out var values) ? values : possible[name] = []).Add(value);
        }
        truthFits.ShouldBeTrue("the true figures agree with what is shown");
        return possible.Select(p => (p.Key, p.Value));
    }

    private static bool Agrees(int value, ShownFigure shown) =>
        shown.Suppressed ? Disclosure.IsSmall(value)
        : shown.Value is not { } v ? true
        : !shown.Rounded ? value == v
        : new[] { 5, 10 }.Any(step => (int)(Math.Round(value / (double)step, MidpointRounding.AwayFromZero) * step) == v);
}
