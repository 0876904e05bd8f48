using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Patchwork.Core;
using Patchwork.Web.Desk;

namespace Patchwork.Web.Pages.Clients;

/// <summary>The client's access log, for those the log's own read allows (DPOs, partnership admins, the team); 404 for anyone else.</summary>
public sealed class WhoViewedModel(IClientTasks tasks) : PageModel
{
    public Guid Client { get; private set; }

    /// <summary>How many entries one page shows, newest first.</summary>
    public const int PerPage = 50;

    public IReadOnlyList<Viewing> Entries { get; private set; } = [];

    public Paging Pages { get; private set; } = null!;

    /// <summary>A DPO or partnership admin is offered the person's copy (the export's own door then decides for this client).</summary>
    public bool OffersSubjectAccess => tasks.PreparesSubjectAccess;

    public async Task<IActionResult> OnGetAsync(Guid client, CancellationToken cancellationToken)
    {
        Client = client;
        if (await tasks.WhoViewedAsync(new ClientId(client), cancellationToken) is not { } entries) return this.NotFoundPage();
        (Entries, Pages) = Paging.Of(entries, Paging.Requested(Request), PerPage, $"/clients/{client}/who-viewed", "Pages of who viewed");
        Response.Headers.CacheControl = "private, no-store";
        return Page();
    }

    public static string Describe(string action) => action switch
    {
        "client.team.read" => "Viewed the team",
        "client.search" => "Found the client in a search",
        "client.list" => "Saw the client in their list",
        "client.audit.read" => "Viewed who viewed",
        "client.export" => "Exported everything held",
        "client.erase" => "Erased the client's personal details",
        "break-glass.grant" => "Used emergency access",
        _ => action.Replace('.', ' ').Replace('-', ' '),
    };
}
