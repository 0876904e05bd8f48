using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Patchwork.Core;
using Patchwork.Web.Desk;

namespace Patchwork.Web.Pages.Clients;

/// <summary>A manager's approval of sharing without consent; who may approve is the slice's decision, shown here as an error.</summary>
public sealed class ApproveSharingModel(IClientDesk desk, IClientTasks tasks) : PageModel
{
    public FormErrors Errors { get; } = new();

    public Guid Client { get; private set; }

    public SharingBasisSummary? Basis { get; private set; }

    public async Task<IActionResult> OnGetAsync(Guid client, Guid basis, CancellationToken cancellationToken) =>
        await LoadAsync(client, basis, cancellationToken) ? Page() : this.NotFoundPage();

    public async Task<IActionResult> OnPostAsync(Guid client, Guid basis, CancellationToken cancellationToken)
    {
        var approved = await tasks.ApproveSharingWithoutConsentAsync(new ClientId(client), basis, cancellationToken);
        if (approved.Succeeded) return Redirect($"/clients/{client}?done=sharing-approved");
        if (approved.Refusal is { NotFound: true } || !await LoadAsync(client, basis, cancellationToken)) return this.NotFoundPage();
        Errors.Add("approve", approved.Refusal!.Message);
        return Page();
    }

    private async Task<bool> LoadAsync(Guid client, Guid basis, CancellationToken cancellationToken)
    {
        Client = client;
        Basis = (await desk.ClientForTaskAsync(new ClientId(client), "Approving sharing without consent", cancellationToken))?.SharingWithoutConsent.FirstOrDefault(b => b.Id == basis && !b.Approved);
        return Basis is not null;
    }
}
