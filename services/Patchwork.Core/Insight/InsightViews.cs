namespace Patchwork.Core.Insight;

/// <summary>A figure as published: the number when it may be shown, and the words the page and downloads print.</summary>
public sealed record FigureView(int? Value, string Shown, bool Suppressed, bool Rounded)
{
    public static FigureView From(ShownFigure figure)
    {
        ArgumentNullException.ThrowIfNull(figure);
        return new(figure.Value, figure.ToString(), figure.Suppressed, figure.Rounded);
    }
}

/// <summary>A month of the chosen year beside the same month a year before; the change only when both are shown exactly.</summary>
public sealed record MonthRowView(string Month, string LastYearMonth, FigureView ThisYear, FigureView LastYear, int? Change);

public sealed record TrendPointView(string Month, FigureView Count);

public sealed record MeasureView(string Measure, string Label, IReadOnlyList<MonthRowView> Months, FigureView ThisYearTotal, FigureView LastYearTotal,
    IReadOnlyList<TrendPointView> Trend);

/// <summary>A median over the year, or null when fewer than five values make it up.</summary>
public sealed record MedianView(string Measure, string Label, string Unit, double? ThisYear, double? LastYear);

/// <summary>One organisation's figures; the partnership's has no organisation id.</summary>
public sealed record OrganisationFiguresView(Guid? OrganisationId, string Name, IReadOnlyList<MeasureView> Measures, IReadOnlyList<MedianView> Medians);

/// <summary>
/// The figures one caller may see for a reporting year (<c>view</c>: "activity" or "access"), disclosure-controlled:
/// counts of 1 to 4 are "fewer than 5", and totals that could give one back are rounded.
/// </summary>
public sealed record InsightView(string View, string Basis, int Start, string Year, string LastYear, string TrendEnds,
    IReadOnlyList<OrganisationFiguresView> Organisations);
