using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Patchwork.Core;
using Patchwork.Web.Desk;

namespace Patchwork.Web.Pages.Clients;

/// <summary>The client objects to sharing with a sector or an organisation (DESIGN.md §3 rule 2); the team records it.</summary>
public sealed class RecordObjectionModel(IClientDesk desk, IClientTasks tasks) : PageModel
{
    public FormErrors Errors { get; } = new();

    public Guid Client { get; private set; }

    public string? ShareWith { get; private set; }

    public IReadOnlyList<Govuk.Option> ShareWithOptions { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(Guid client, CancellationToken cancellationToken) =>
        await LoadAsync(client, cancellationToken) ? Page() : this.NotFoundPage();

    public async Task<IActionResult> OnPostAsync(Guid client, [FromForm] string? shareWith, CancellationToken cancellationToken)
    {
        ShareWith = shareWith;
        if (ShareWith is null) Errors.Add("shareWith", "Select who the client objects to sharing with");
        else
        {
            var recorded = await tasks.RecordObjectionAsync(new ClientId(client), ShareWith, cancellationToken);
            if (recorded.Succeeded) return Redirect($"/clients/{client}?done=objection-recorded");
            if (recorded.Refusal is { NotFound: true }) return this.NotFoundPage();
            Errors.Add("shareWith", recorded.Refusal!.Message);
        }
        return await LoadAsync(client, cancellationToken) ? Page() : this.NotFoundPage();
    }

    private async Task<bool> LoadAsync(Guid client, CancellationToken cancellationToken)
    {
        Client = client;
        if (await desk.ClientForTaskAsync(new ClientId(client), "Recording an objection", cancellationToken) is not { Mine: not null }) return false;
        ShareWithOptions = [.. (await desk.ConsentChoicesAsync(cancellationToken)).ShareWith.Select(c => new Govuk.Option(c.Value, c.Label, c.Hint))];
        return true;
    }
}
