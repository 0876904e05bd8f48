using Microsoft.AspNetCore.Mvc.RazorPages;
using Patchwork.Web.Desk;

namespace Patchwork.Web.Pages;

/// <summary>Home: my clients, and my newest notifications with a link to them all.</summary>
public sealed class HomeModel(IClientDesk desk, INoticeDesk notices) : PageModel
{
    /// <summary>How many notifications home shows; the notifications page shows more.</summary>
    public const int NoticesShown = 5;

    /// <summary>How many clients one page lists.</summary>
    public const int ClientsPerPage = 25;

    public IReadOnlyList<MyClient> Clients { get; private set; } = [];

    public Paging ClientPages { get; private set; } = null!;

    public IReadOnlyList<Notice> Notices { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        (Clients, ClientPages) = Paging.Of(await desk.MyClientsAsync(cancellationToken), Paging.Requested(Request), ClientsPerPage, "/", "Pages of my clients");
        Notices = await notices.RecentAsync(NoticesShown, cancellationToken);
    }
}
