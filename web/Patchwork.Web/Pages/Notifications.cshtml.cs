using Microsoft.AspNetCore.Mvc.RazorPages;
using Patchwork.Web.Desk;

namespace Patchwork.Web.Pages;

/// <summary>The practitioner's notification list: what the live feed told them, kept for when they were away.</summary>
public sealed class NotificationsModel(INoticeDesk notices) : PageModel
{
    public IReadOnlyList<Notice> Notices { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Notices = await notices.RecentAsync(50, cancellationToken);
        Response.Headers.CacheControl = "private, no-store";
    }
}
