using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Patchwork.Web.Desk;

namespace Patchwork.Web.Pages.Admin;

/// <summary>An organisation admin revokes one of their organisation's active partner systems.</summary>
public sealed class RevokePartnerSystemModel(IAdminDesk desk) : PageModel
{
    public FormErrors Errors { get; } = new();

    public string? Name { get; private set; }

    public async Task<IActionResult> OnGetAsync(Guid system, CancellationToken cancellationToken) =>
        await LoadAsync(system, cancellationToken) ? Page() : this.NotFoundPage();

    public async Task<IActionResult> OnPostAsync(Guid system, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(system, cancellationToken)) return this.NotFoundPage();
        var revoked = await desk.RevokePartnerSystemAsync(system, cancellationToken);
        if (revoked.Succeeded) return Redirect("/admin/partner-systems?done=revoked");
        if (revoked.Refusal is { NotFound: true }) return this.NotFoundPage();
        Errors.Add("revoke", revoked.Refusal!.Message);
        return Page();
    }

    private async Task<bool> LoadAsync(Guid system, CancellationToken cancellationToken)
    {
        if (!desk.Rights.OrganisationAdmin) return false;
        Name = (await desk.PartnerSystemsAsync(cancellationToken)).Value?.FirstOrDefault(s => s.Id == system && !s.Disabled)?.Name;
        return Name is not null;
    }
}
