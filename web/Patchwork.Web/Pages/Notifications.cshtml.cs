using Microsoft.AspNetCore.Mvc.RazorPages;
using Patchwork.Web.Desk;

namespace Patchwork.Web.Pages;

/// <summary>The practitioner's notification list: what the live feed told them, kept for when they were away.</summary>
public sealed class NotificationsModel(INoticeDesk notices) : PageModel
{
    /// <summary>How many notifications one page shows, newest first.</summary>
    public const int PerPage = 25;

    public IReadOnlyList<Notice> Notices { get; private set; } = [];

    public Paging Pages { get; private set; } = null!;

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var page = Paging.Requested(Request);
        (Notices, Pages) = Paging.Of(await notices.RecentAsync(Paging.ReadFor(page, PerPage), cancellationToken), page, PerPage, "/notifications", "Pages of notifications");
        Response.Headers.CacheControl = "private, no-store";
    }
}
