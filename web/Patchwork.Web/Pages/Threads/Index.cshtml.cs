using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Patchwork.Core;
using Patchwork.Web.Desk;

namespace Patchwork.Web.Pages.Threads;

/// <summary>The threads about a client the practitioner may read, and a form to start one (a plain POST, then a redirect).</summary>
public sealed class IndexModel(IThreadDesk desk) : PageModel
{
    public ThreadList? List { get; private set; }

    public FormErrors Errors { get; } = new();

    [BindProperty]
    public List<Guid> Participants { get; set; } = [];

    [BindProperty]
    public string? Message { get; set; }

    public async Task<IActionResult> OnGetAsync(Guid client, CancellationToken cancellationToken)
    {
        List = await desk.ThreadsAsync(new ClientId(client), cancellationToken);
        return List is null ? NotFound() : Page();
    }

    public async Task<IActionResult> OnPostAsync(Guid client, CancellationToken cancellationToken)
    {
        var started = await desk.StartAsync(new ClientId(client), Participants, Message, cancellationToken);
        if (started.Succeeded) return Redirect($"/clients/{client}/threads/{started.Value}");
        if (started.Refusal is { NotFound: true }) return NotFound();
        Errors.Add(started.Refusal!.Field is { } field && field.StartsWith("participants", StringComparison.Ordinal) ? "participants" : "message",
            started.Refusal.Field?.StartsWith("participants", StringComparison.Ordinal) == true ? "Choose people on the client's team who can see your involvement"
            : started.Refusal.Message);
        List = await desk.ThreadsAsync(new ClientId(client), cancellationToken);
        return List is null ? NotFound() : Page();
    }
}
