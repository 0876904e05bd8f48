using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Patchwork.Core;
using Patchwork.Core.ContactRequests;
using Patchwork.Web.Desk;

namespace Patchwork.Web.Pages.Clients;

/// <summary>The client as the policy lets this practitioner see them; anyone who may see nothing gets 404, as the API answers.</summary>
public sealed class ClientModel(IClientDesk desk) : PageModel
{
    private static readonly Dictionary<string, string> Notices = new(StringComparer.Ordinal)
    {
        ["involvement-recorded"] = "Your involvement is recorded. The team can now see you.",
        ["consent-recorded"] = "The consent is recorded.",
        ["consent-withdrawn"] = "The consent is withdrawn. Nothing more is shared under it.",
        ["contact-requested"] = "Your request is sent. If they choose to, they will contact you.",
        ["contact-already-requested"] = "You have already asked. They will contact you if they choose to.",
        ["contact-accepted"] = "You accepted. They can now see your involvement and contact details.",
        ["contact-declined"] = "You declined. They see nothing more.",
        ["contact-not-answered"] = "That request could not be answered: it may have been answered already.",
        ["involvement-ended"] = "Your involvement is ended. The team is told.",
        ["attention-raised"] = "Attention is raised. The team is told.",
        ["sharing-requested"] = "Your request is recorded. A manager of your organisation must approve it before anything is shared.",
        ["sharing-approved"] = "Sharing without consent is approved.",
        ["objection-recorded"] = "The objection is recorded. Nothing is shared with them under consent.",
        ["break-glass"] = "Emergency access is on. The team and the data protection officers are told.",
    };

    /// <summary>How many lines of history the page shows, newest first, keeping the page light on a phone.</summary>
    public const int HistoryShown = 50;

    public ClientRecord? Record { get; private set; }

    public string? Notice { get; private set; }

    public async Task<IActionResult> OnGetAsync(Guid client, string? done, CancellationToken cancellationToken)
    {
        Record = await desk.ClientAsync(new ClientId(client), cancellationToken);
        if (Record is null) return this.NotFoundPage();
        Notice = done is null ? null : Notices.GetValueOrDefault(done);
        Response.Headers.CacheControl = "private, no-store";
        return Page();
    }

    public async Task<IActionResult> OnPostRequestContactAsync(Guid client, [FromForm] string? handle, CancellationToken cancellationToken)
    {
        var requested = await desk.RequestContactAsync(new ClientId(client), handle ?? "", cancellationToken);
        if (requested.Refusal is { NotFound: true }) return this.NotFoundPage();
        return Redirect($"/clients/{client}?done={(requested.Succeeded ? "contact-requested" : "contact-already-requested")}");
    }

    public async Task<IActionResult> OnPostAnswerContactAsync(Guid client, [FromForm] Guid? request, [FromForm] ContactAnswer? answer, CancellationToken cancellationToken)
    {
        // Only a tampered form lacks these: the page always sends both.
        if (request is null || answer is null) return BadRequest();
        var answered = await desk.AnswerContactAsync(new ClientId(client), new ContactRequestId(request.Value), answer.Value, cancellationToken);
        if (answered.Refusal is { NotFound: true }) return this.NotFoundPage();
        var done = !answered.Succeeded ? "contact-not-answered" : answer == ContactAnswer.Accepted ? "contact-accepted" : "contact-declined";
        return Redirect($"/clients/{client}?done={done}");
    }
}
