using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Patchwork.Web.Desk;

namespace Patchwork.Web.Pages.Admin;

/// <summary>A partnership admin ends an active agreement before its last day.</summary>
public sealed class EndAgreementModel(IAdminDesk desk) : PageModel
{
    public FormErrors Errors { get; } = new();

    public string? Name { get; private set; }

    public async Task<IActionResult> OnGetAsync(Guid agreement, CancellationToken cancellationToken) =>
        await LoadAsync(agreement, cancellationToken) ? Page() : this.NotFoundPage();

    public async Task<IActionResult> OnPostAsync(Guid agreement, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(agreement, cancellationToken)) return this.NotFoundPage();
        var ended = await desk.EndAgreementAsync(agreement, cancellationToken);
        if (ended.Succeeded) return Redirect("/admin/agreements?done=ended");
        if (ended.Refusal is { NotFound: true }) return this.NotFoundPage();
        Errors.Add("end", ended.Refusal!.Message);
        return Page();
    }

    private async Task<bool> LoadAsync(Guid agreement, CancellationToken cancellationToken)
    {
        if (!desk.Rights.PartnershipAdmin) return false;
        var read = await desk.AgreementsAsync(cancellationToken);
        Name = read.Value?.FirstOrDefault(a => a.Id == agreement && a.Active)?.Name;
        return Name is not null;
    }
}
