using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Patchwork.Core.Insight;
using Patchwork.Web.Desk;

namespace Patchwork.Web.Pages.Insight;

/// <summary>
/// The partnership's figures (issue 23): a manager's organisation's activity, a DPO's organisation's access figures, a
/// partnership admin's every organisation beside the partnership. A plain GET form chooses the year, the basis and the
/// purpose (every view is audited with it); anyone who may read no figures gets 404, audited as a refusal.
/// </summary>
public sealed class IndexModel(IInsightDesk desk) : PageModel
{
    public static readonly IReadOnlyList<string> Purposes =
    [
        "Reviewing my organisation's work",
        "Reporting to the partnership board",
        "Reviewing how access is used",
        "Planning services",
    ];

    /// <summary>The measures drawn as charts; every measure is in the year's table and the downloads.</summary>
    public static readonly IReadOnlySet<string> Charted = new HashSet<string>(StringComparer.Ordinal)
    {
        "multiAgencyClients", "involvementsRecordedWeb", "contactRequestsMade", "breakGlassUses", "searches", "refusals", "whoViewedReads",
    };

    [BindProperty(SupportsGet = true)]
    public string? View { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Basis { get; set; }

    [BindProperty(SupportsGet = true)]
    public int? Year { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Purpose { get; set; }

    public InsightRights Rights { get; private set; } = new(false, false, false);

    public InsightView? Figures { get; private set; }

    public FormErrors Errors { get; } = new();

    public int ThisYear { get; } = DateTime.UtcNow.Year;

    public string Query(string format) =>
        $"/api/v1/insight/{Figures!.View}.{format}?basis={Figures.Basis}&year={Figures.Start}&purpose={Uri.EscapeDataString(Purpose ?? "")}";

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        Rights = desk.Rights;
        View ??= Rights.Activity ? "activity" : "access";
        Basis ??= "financial";
        var allowed = View switch { "activity" => Rights.Activity, "access" => Rights.Access, _ => false };
        // Someone who may not read these figures asks the desk all the same, so the refusal is audited; they get 404.
        // A submitted form (it always sends its basis) is read even without a purpose, so the reader is told to give one.
        if (!allowed || Purpose is not null || Request.Query.ContainsKey("basis"))
        {
            var read = await desk.ReadAsync(allowed ? View : "activity", Basis, Year, Purpose, cancellationToken);
            if (read.Refusal is { NotFound: true }) return this.NotFoundPage();
            if (read.Refusal is { } refused) Errors.Add(refused.Field ?? "purpose", refused.Message);
            Figures = read.Value;
        }
        return Page();
    }
}
