using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Patchwork.Core;
using Patchwork.Web.Desk;

namespace Patchwork.Web.Pages.Threads;

/// <summary>One thread: messages, withdrawn markers, receipts and attention; reply and withdraw are plain POSTs answered with a redirect.</summary>
public sealed class ThreadModel(IThreadDesk desk) : PageModel
{
    public ThreadPage? Thread { get; private set; }

    public FormErrors Errors { get; } = new();

    [BindProperty]
    public string? Reply { get; set; }

    public async Task<IActionResult> OnGetAsync(Guid client, Guid thread, CancellationToken cancellationToken)
    {
        Thread = await desk.ThreadAsync(new ClientId(client), thread, cancellationToken);
        return Thread is null ? NotFound() : Page();
    }

    public async Task<IActionResult> OnPostAsync(Guid client, Guid thread, CancellationToken cancellationToken)
    {
        var sent = await desk.ReplyAsync(new ClientId(client), thread, Reply, cancellationToken);
        if (sent.Succeeded) return Redirect($"/clients/{client}/threads/{thread}#message-{sent.Value}");
        if (sent.Refusal is { NotFound: true }) return NotFound();
        Errors.Add("reply", sent.Refusal!.Message);
        return await OnGetAsync(client, thread, cancellationToken);
    }

    public async Task<IActionResult> OnPostWithdrawAsync(Guid client, Guid thread, Guid message, CancellationToken cancellationToken)
    {
        var withdrawn = await desk.WithdrawAsync(new ClientId(client), thread, message, cancellationToken);
        if (withdrawn.Refusal is { NotFound: true }) return NotFound();
        if (withdrawn.Succeeded) return Redirect($"/clients/{client}/threads/{thread}#message-{message}");
        Errors.Add("reply", withdrawn.Refusal!.Message);
        return await OnGetAsync(client, thread, cancellationToken);
    }
}
