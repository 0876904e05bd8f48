using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Patchwork.Web.Desk;

namespace Patchwork.Web.Pages.Admin;

/// <summary>The administration tasks the practitioner's roles allow; anyone with none gets 404, as the menu never offers it to them.</summary>
public sealed class AdminModel(IAdminDesk desk) : PageModel
{
    private static readonly Dictionary<string, string> Notices = new(StringComparer.Ordinal)
    {
        ["invited"] = "The invitation is sent. Its link works once, until the time the email gives.",
    };

    public AdminRights Rights => desk.Rights;

    public string? Notice { get; private set; }

    public IActionResult OnGet(string? done)
    {
        if (!Rights.Any) return this.NotFoundPage();
        Notice = done is null ? null : Notices.GetValueOrDefault(done);
        return Page();
    }
}
