using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Patchwork.Core;
using Patchwork.Web.Desk;

namespace Patchwork.Web.Pages.Clients;

/// <summary>
/// The person's copy of what is held about them (issue 24), for a DPO or a partnership admin to print or send: the subject
/// access export in plain words. Without a purpose it asks for one (the same form for any client, naming none); with one,
/// the export's own door decides — anyone it refuses gets the 404 every unknown address gets — and the export is audited
/// with that purpose. Anyone who prepares no copies at all gets 404 either way.
/// </summary>
public sealed class SubjectAccessModel(IClientTasks tasks) : PageModel
{
    public FormErrors Errors { get; } = new();

    public Guid Client { get; private set; }

    public string? Purpose { get; private set; }

    public SubjectAccessCopy? Copy { get; private set; }

    /// <summary>The same answer for another computer system: the FHIR Bundle, with the same purpose (a second, audited export).</summary>
    public string FhirAddress => $"/api/v1/clients/{Client}/export.fhir?purpose={Uri.EscapeDataString(Purpose ?? "")}";

    public async Task<IActionResult> OnGetAsync(Guid client, string? purpose, CancellationToken cancellationToken)
    {
        Client = client;
        Purpose = purpose?.Trim();
        if (!tasks.PreparesSubjectAccess) return this.NotFoundPage();
        Response.Headers.CacheControl = "private, no-store";
        if (purpose is null) return Page();
        var prepared = await tasks.SubjectAccessAsync(new ClientId(client), Purpose, cancellationToken);
        if (prepared.Refusal is { NotFound: true }) return this.NotFoundPage();
        if (!prepared.Succeeded)
        {
            Errors.Add("purpose", string.IsNullOrEmpty(Purpose) ? "Enter why you are preparing this copy" : prepared.Refusal!.Message);
            return Page();
        }
        Copy = prepared.Value;
        return Page();
    }
}
