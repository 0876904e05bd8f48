using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Patchwork.Core;
using Patchwork.Web.Desk;

namespace Patchwork.Web.Pages.BreakGlass;

/// <summary>
/// A data protection officer's review queue (DESIGN.md §2): their organisation's uses of break-glass, each with its
/// justification, and a finding recorded once. Anyone else gets 404 (the desk audits the refusal).
/// </summary>
public sealed class ReviewsModel(IBreakGlassDesk desk) : PageModel
{
    public FormErrors Errors { get; } = new();

    /// <summary>True: the uses already reviewed; false: those awaiting review.</summary>
    public bool ShowReviewed { get; private set; }

    public IReadOnlyList<BreakGlassUse> Uses { get; private set; } = [];

    public string? Notice { get; private set; }

    public async Task<IActionResult> OnGetAsync(string? show, string? done, CancellationToken cancellationToken)
    {
        ShowReviewed = show == "reviewed";
        Notice = done switch
        {
            "justified" => "Finding recorded: the use was justified",
            "not-justified" => "Finding recorded: the use was not justified. Follow it up with the practitioner",
            _ => null,
        };
        return await LoadAsync(cancellationToken) ? Page() : this.NotFoundPage();
    }

    public async Task<IActionResult> OnPostAsync([FromForm] Guid client, [FromForm] Guid grant, [FromForm] string? finding, CancellationToken cancellationToken)
    {
        var reviewed = await desk.ReviewAsync(new ClientId(client), new GrantId(grant), finding, cancellationToken);
        if (reviewed.Succeeded) return Redirect($"/break-glass/reviews?done={finding}");
        if (reviewed.Refusal is { NotFound: true } || !await LoadAsync(cancellationToken)) return this.NotFoundPage();
        Errors.Add($"review-{grant}", reviewed.Refusal!.Message);
        return Page();
    }

    private async Task<bool> LoadAsync(CancellationToken cancellationToken)
    {
        var uses = await desk.UsesAsync(ShowReviewed, cancellationToken);
        Uses = uses.Value ?? [];
        return uses.Succeeded;
    }
}
