using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Patchwork.Core;
using Patchwork.Web.Desk;

namespace Patchwork.Web.Pages.Clients;

/// <summary>Break-glass: open to anyone who found the client; the grant's decision (and its refusals) is the API's.</summary>
public sealed class BreakGlassModel(IClientTasks tasks) : PageModel
{
    public FormErrors Errors { get; } = new();

    public string? Justification { get; private set; }

    public string? Minutes { get; private set; } = "60";

    public IReadOnlyList<Govuk.Option> Durations { get; } = [new("60", "1 hour"), new("120", "2 hours"), new("240", "4 hours")];

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(Guid client, [FromForm] string? justification, [FromForm] string? minutes, CancellationToken cancellationToken)
    {
        (Justification, Minutes) = (justification?.Trim(), minutes);
        if (string.IsNullOrWhiteSpace(Justification)) Errors.Add("justification", "Enter why you need emergency access");
        var duration = Durations.Any(d => d.Value == minutes) ? int.Parse(minutes!, CultureInfo.InvariantCulture) : (int?)null;
        if (duration is null) Errors.Add("minutes", "Select for how long you need emergency access");
        if (Errors.Any) return Page();
        var granted = await tasks.BreakGlassAsync(new ClientId(client), Justification, duration, cancellationToken);
        if (granted.Refusal is { NotFound: true }) return this.NotFoundPage();
        if (granted.Succeeded) return Redirect($"/clients/{client}?done=break-glass");
        Errors.Add(granted.Refusal!.Field is "duration" or "durationMinutes" ? "minutes" : "justification", granted.Refusal.Message);
        return Page();
    }
}
