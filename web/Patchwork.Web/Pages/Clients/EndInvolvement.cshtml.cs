using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Patchwork.Core;
using Patchwork.Web.Desk;

namespace Patchwork.Web.Pages.Clients;

/// <summary>Ending my own involvement (policy rule 5): it ends my legitimate relationship with the client at once.</summary>
public sealed class EndInvolvementModel(IClientDesk desk, IClientTasks tasks) : PageModel
{
    public FormErrors Errors { get; } = new();

    public Guid Client { get; private set; }

    public string? Name { get; private set; }

    public async Task<IActionResult> OnGetAsync(Guid client, Guid involvement, CancellationToken cancellationToken) =>
        await LoadAsync(client, involvement, cancellationToken) ? Page() : this.NotFoundPage();

    public async Task<IActionResult> OnPostAsync(Guid client, Guid involvement, CancellationToken cancellationToken)
    {
        var ended = await tasks.EndInvolvementAsync(new ClientId(client), new InvolvementId(involvement), null, cancellationToken);
        if (ended.Succeeded) return Redirect($"/clients/{client}?done=involvement-ended");
        if (ended.Refusal is { NotFound: true } || !await LoadAsync(client, involvement, cancellationToken)) return this.NotFoundPage();
        Errors.Add("end", ended.Refusal!.Message);
        return Page();
    }

    private async Task<bool> LoadAsync(Guid client, Guid involvement, CancellationToken cancellationToken)
    {
        Client = client;
        var record = await desk.ClientForTaskAsync(new ClientId(client), "Ending my involvement", cancellationToken);
        Name = record?.Name;
        return record?.Mine?.Id.Value == involvement;
    }
}
