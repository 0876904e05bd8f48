using System.Globalization;
using System.Text;
using ClosedXML.Excel;
using Microsoft.AspNetCore.Http.HttpResults;
using Patchwork.Core;
using Patchwork.Core.Insight;
using Patchwork.EventStore;
using Patchwork.Server.Api;
using Patchwork.Server.Api.Audit;

namespace Patchwork.Server.Insight;

/// <summary>
/// Partnership insight (issue 23): a manager reads their organisation's activity figures, a data protection officer
/// their organisation's access figures, a partnership admin every organisation's side by side with the partnership's.
/// Anyone else gets 404, as for anything they may not know exists. Every read, and every refusal, is one audit entry.
/// </summary>
public sealed class InsightReads(InsightReport report, RequestAudit audit, TimeProvider clock)
{
    public const string Action = "insight.read";
    public const int MaxPurposeLength = 200;

    /// <summary>Who may read which view, and whose figures: null organisation is every organisation.</summary>
    public static (bool Entitled, Guid? Organisation, string Rule) Scope(CurrentActor caller, string view)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (caller.Holds(Roles.PartnershipAdmin)) return (true, null, "PartnershipAdmin");
        if (view == "activity" && caller.Holds(Roles.Manager)) return (true, caller.Organisation.Value, "Manager");
        if (view == "access" && caller.Holds(Roles.DataProtectionOfficer)) return (true, caller.Organisation.Value, "DataProtectionOfficer");
        return (false, null, "NotEntitled");
    }

    /// <summary>The figures, or the refusal, for the API's three formats and the page alike; every outcome audited.</summary>
    public async Task<Result<InsightView>> ReadAsync(HttpContext http, CurrentActor caller, string view, string? basis, int? year, string? purpose,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var (entitled, organisation, rule) = Scope(caller, view);
        if (!entitled)
        {
            await audit.DeniedAsync(http, caller, Action, null, rule, purpose);
            return Problem.NotFound("no such figures");
        }
        var invalid = basis is not (null or "calendar" or "financial") ? ("basis", "give calendar or financial")
            : year is < 2000 or > 2100 ? ("year", "give a year from 2000 to 2100")
            : string.IsNullOrWhiteSpace(purpose) ? ("purpose", "state why you are reading these figures")
            : purpose.Length > MaxPurposeLength ? ("purpose", $"at most {MaxPurposeLength} characters")
            : !Text.IsPlain(purpose, multiLine: false) ? ("purpose", "plain text only: no control characters")
            : ((string, string)?)null;
        if (invalid is var (field, reason))
        {
            await audit.DeniedAsync(http, caller, Action, null, $"Invalid:{field}", purpose);
            return Problem.Invalid(field, reason);
        }
        var yearBasis = basis == "calendar" ? YearBasis.Calendar : YearBasis.Financial;
        var chosen = year is { } start ? new ReportingYear(yearBasis, start) : ReportingYear.Holding(yearBasis, DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime));
        var figures = await report.BuildAsync(view, chosen, organisation, cancellationToken);
        await audit.AllowedAsync(http, caller, Action, null, rule + ":" + view, purpose);
        return figures;
    }

    public static string Csv(InsightView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        var csv = new StringBuilder();
        csv.AppendLine("organisation,measure,month,this_year,last_year_month,last_year,change");
        foreach (var row in Rows(view))
            csv.AppendLine(string.Join(',', row.Select(Field)));
        return csv.ToString();
    }

    public static byte[] Spreadsheet(InsightView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        using var workbook = new XLWorkbook();
        var sheet = workbook.Worksheets.Add("Figures");
        string[] headings = ["Organisation", "Measure", "Month", $"Year {view.Year}", "Month a year before", $"Year {view.LastYear}", "Change"];
        for (var c = 0; c < headings.Length; c++) sheet.Cell(1, c + 1).Value = headings[c];
        var r = 2;
        foreach (var row in Rows(view))
        {
            for (var c = 0; c < row.Length; c++)
            {
                var cell = sheet.Cell(r, c + 1);
                // Numbers as numbers for the analysts' sums; "fewer than 5" and the like as text (never as a formula).
                if (c >= 3 && double.TryParse(row[c], NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)) cell.Value = number;
                else cell.SetValue(row[c]);
            }
            r++;
        }
        sheet.Row(1).Style.Font.Bold = true;
        sheet.SheetView.FreezeRows(1);
        using var stream = new MemoryStream();
        workbook.SaveAs(stream);
        return stream.ToArray();
    }

    /// <summary>One line per organisation, measure and month, then each measure's year totals (month "total"), then the medians.</summary>
    private static IEnumerable<string[]> Rows(InsightView view)
    {
        static string Shown(FigureView f) => f.Value is { } v && !f.Rounded ? v.ToString(CultureInfo.InvariantCulture) : f.Shown;
        foreach (var organisation in view.Organisations)
            foreach (var measure in organisation.Measures)
            {
                foreach (var month in measure.Months)
                    yield return [organisation.Name, measure.Label, month.Month, Shown(month.ThisYear), month.LastYearMonth, Shown(month.LastYear),
                        month.Change?.ToString(CultureInfo.InvariantCulture) ?? ""];
                yield return [organisation.Name, measure.Label, "total " + view.Year, Shown(measure.ThisYearTotal), "total " + view.LastYear, Shown(measure.LastYearTotal), ""];
            }
        // The medians (days, hours) for each year, as the page shows them; too few values to show one without singling someone out is said so.
        static string Median(double? value) => value?.ToString("0.#", CultureInfo.InvariantCulture) ?? "not shown: fewer than 5";
        foreach (var organisation in view.Organisations)
            foreach (var median in organisation.Medians)
                yield return [organisation.Name, median.Label, "median " + view.Year, Median(median.ThisYear), "median " + view.LastYear, Median(median.LastYear), ""];
    }

    /// <summary>Quoted, and never read by a spreadsheet as a formula (a name typed by an administrator could start with '=').</summary>
    private static string Field(string value)
    {
        var safe = value.Length > 0 && "=+-@\t\r".Contains(value[0], StringComparison.Ordinal) && !int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)
            ? "'" + value : value;
        return "\"" + safe.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }
}

public static class InsightApi
{
    private const string Description =
        "Monthly figures for a calendar year (basis=calendar, January to December) or a financial year (basis=financial, the default: " +
        "April to March, year = the April's year), beside the year before, with a twelve-month trend. Counts from 1 to 4 are shown as " +
        "\"fewer than 5\" and totals that could give one back are rounded. purpose is required and audited. A manager reads their " +
        "organisation's activity figures, a data protection officer their organisation's access figures, a partnership admin every " +
        "organisation's; anyone else gets 404.";

    public static RouteGroupBuilder MapInsightApi(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        foreach (var view in new[] { "activity", "access" })
        {
            var name = view == "activity" ? "Activity" : "Access";
            api.MapGet($"/insight/{view}", async Task<Results<Ok<InsightView>, ValidationProblem, ProblemHttpResult>> (string? basis, int? year, string? purpose,
                    CurrentActor me, InsightReads reads, HttpContext http, CancellationToken ct) =>
                {
                    var figures = await reads.ReadAsync(http, me, view, basis, year, purpose, ct);
                    return figures.Problem is { } refused ? ApiProblems.From<Ok<InsightView>>(refused) : TypedResults.Ok(figures.Value);
                })
                .WithName($"GetInsight{name}").WithDescription(Description);
            api.MapGet($"/insight/{view}.csv", async (string? basis, int? year, string? purpose, CurrentActor me, InsightReads reads, HttpContext http, CancellationToken ct) =>
                {
                    var read = await reads.ReadAsync(http, me, view, basis, year, purpose, ct);
                    if (read.Problem is { } refused) return (IResult)ApiProblems.From<Ok<InsightView>>(refused);
                    var figures = read.Value;
                    return TypedResults.File(Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(InsightReads.Csv(figures))).ToArray(), "text/csv; charset=utf-8",
                            $"patchwork-{view}-{figures.Year.Replace('/', '-')}.csv");
                })
                .WithName($"GetInsight{name}Csv").WithDescription(Description).Produces<string>(StatusCodes.Status200OK, "text/csv")
                .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
            api.MapGet($"/insight/{view}.xlsx", async (string? basis, int? year, string? purpose, CurrentActor me, InsightReads reads, HttpContext http, CancellationToken ct) =>
                {
                    var read = await reads.ReadAsync(http, me, view, basis, year, purpose, ct);
                    if (read.Problem is { } refused) return (IResult)ApiProblems.From<Ok<InsightView>>(refused);
                    var figures = read.Value;
                    return TypedResults.File(InsightReads.Spreadsheet(figures), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                            $"patchwork-{view}-{figures.Year.Replace('/', '-')}.xlsx");
                })
                .WithName($"GetInsight{name}Spreadsheet").WithDescription(Description)
                .Produces<byte[]>(StatusCodes.Status200OK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
                .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        }
        return api;
    }

    /// <summary>The figures' reader and report, and the projection under the daemon (<c>Insight:Projection=false</c> turns it off on a node).</summary>
    public static WebApplicationBuilder AddPatchworkInsight(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<InsightFigures>();
        builder.Services.AddSingleton<InsightReport>();
        builder.Services.AddSingleton<InsightReads>();
        builder.Services.AddSingleton<InsightProjection>();
        if (builder.Configuration.GetValue("Insight:Projection", true))
            builder.Services.AddEventSubscription<InsightProjection>(InsightProjection.SubscriptionName, options => options.PageSize = InsightProjection.PageSize);
        return builder;
    }
}
