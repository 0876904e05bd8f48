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

    /// <summary>No purpose is kept for this client: the page asks for one and reads nothing (not even whether the client exists).</summary>
    public bool AsksPurpose { get; private set; }

    public FormErrors Errors { get; } = new();

    public Guid Client { get; private set; }

    public string? ChosenPurpose { get; private set; }

    public string? OtherPurpose { get; private set; }

    /// <summary>
    /// Every read states a purpose (DESIGN.md §1 principle 3): a common one named in the link ("my clients" carry casework),
    /// else the one kept from the search that led here or stated on this page; with none, the page asks for it.
    /// </summary>
    public async Task<IActionResult> OnGetAsync(Guid client, string? done, string? purpose, CancellationToken cancellationToken)
    {
        Client = client;
        Response.Headers.CacheControl = "private, no-store";
        var id = new ClientId(client);
        var stated = ReadPurposes.Named(purpose) is { } named ? (await desk.StatePurposeAsync(id, named, cancellationToken)).Value
            : await desk.PurposeAsync(id, cancellationToken);
        if (stated is null)
        {
            AsksPurpose = true;
            return Page();
        }
        Record = await desk.ClientAsync(id, stated, cancellationToken);
        if (Record is null) return this.NotFoundPage();
        Notice = done is null ? null : Notices.GetValueOrDefault(done);
        return Page();
    }

    public async Task<IActionResult> OnPostPurposeAsync(Guid client, [FromForm] string? purpose, [FromForm] string? otherPurpose, CancellationToken cancellationToken)
    {
        (Client, ChosenPurpose, OtherPurpose) = (client, purpose, otherPurpose?.Trim());
        var stated = ReadPurposes.Named(purpose) ?? (purpose == Other ? OtherPurpose : null);
        if (purpose is null) Errors.Add("purpose", "Choose why you are looking at this client");
        else if (purpose == Other && string.IsNullOrWhiteSpace(OtherPurpose)) Errors.Add("otherPurpose", "Enter why you are looking at this client");
        else if (stated is null) Errors.Add("purpose", "Choose why you are looking at this client");
        else if ((await desk.StatePurposeAsync(new ClientId(client), stated, cancellationToken)).Refusal is { } refused)
            Errors.Add(purpose == Other ? "otherPurpose" : "purpose", refused.Message);
        if (!Errors.Any) return Redirect($"/clients/{client}");
        AsksPurpose = true;
        Response.Headers.CacheControl = "private, no-store";
        return Page();
    }

    /// <summary>The choice that reveals the written-in purpose.</summary>
    public const string Other = ReadPurposes.Other;

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
