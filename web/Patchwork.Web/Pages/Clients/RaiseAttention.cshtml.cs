using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Patchwork.Core;
using Patchwork.Web.Desk;

namespace Patchwork.Web.Pages.Clients;

/// <summary>"I am paying increased attention to this client": the team is told (DESIGN.md §4).</summary>
public sealed class RaiseAttentionModel(IClientDesk desk, IClientTasks tasks) : PageModel
{
    public FormErrors Errors { get; } = new();

    public Guid Client { get; private set; }

    public string? Name { get; private set; }

    public async Task<IActionResult> OnGetAsync(Guid client, CancellationToken cancellationToken) =>
        await LoadAsync(client, cancellationToken) ? Page() : this.NotFoundPage();

    public async Task<IActionResult> OnPostAsync(Guid client, CancellationToken cancellationToken)
    {
        var raised = await tasks.RaiseAttentionAsync(new ClientId(client), cancellationToken);
        if (raised.Succeeded) return Redirect($"/clients/{client}?done=attention-raised");
        if (raised.Refusal is { NotFound: true } || !await LoadAsync(client, cancellationToken)) return this.NotFoundPage();
        Errors.Add("raise", raised.Refusal!.Message);
        return Page();
    }

    private async Task<bool> LoadAsync(Guid client, CancellationToken cancellationToken)
    {
        Client = client;
        var record = await desk.ClientForTaskAsync(new ClientId(client), "Raising attention", cancellationToken);
        Name = record?.Name;
        return record?.Mine is not null;
    }
}
