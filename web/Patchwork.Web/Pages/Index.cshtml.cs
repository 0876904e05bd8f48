using Microsoft.AspNetCore.Mvc.RazorPages;
using Patchwork.Web.Desk;

namespace Patchwork.Web.Pages;

public sealed class HomeModel(IClientDesk desk) : PageModel
{
    public IReadOnlyList<MyClient> Clients { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken) => Clients = await desk.MyClientsAsync(cancellationToken);
}
