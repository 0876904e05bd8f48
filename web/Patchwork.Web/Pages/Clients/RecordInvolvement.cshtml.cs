using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Patchwork.Core;
using Patchwork.Web.Desk;

namespace Patchwork.Web.Pages.Clients;

/// <summary>Recording an involvement is open to anyone who found the client: it is how a practitioner joins the team.</summary>
public sealed class RecordInvolvementModel(IClientDesk desk, TimeProvider clock) : PageModel
{
    public FormErrors Errors { get; } = new();

    public string? Role { get; private set; }
    public string? Service { get; private set; }
    public string? Category { get; private set; }
    public DateParts Start { get; private set; } = DateParts.Empty;
    public string? Phone { get; private set; }
    public string? Email { get; private set; }
    public IReadOnlyList<Govuk.Option> Categories { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Start = DateParts.Of(DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime));
        await LoadCategoriesAsync(cancellationToken);
    }

    public async Task<IActionResult> OnPostAsync(Guid client, [FromForm] string? role, [FromForm] string? service, [FromForm] string? category,
        [FromForm] string? phone, [FromForm] string? email, CancellationToken cancellationToken)
    {
        (Role, Service, Category, Phone, Email) = (role?.Trim(), Blank(service), category, Blank(phone), Blank(email));
        Start = DateParts.From(Request.Form, "start");
        if (string.IsNullOrWhiteSpace(Role)) Errors.Add("role", "Enter your role with this client");
        if (Start.ToDate() is null) Errors.Add("start-day", "Enter the date you started as a real date, for example 1 9 2026");
        if (Phone is null && Email is null) Errors.Add("phone", "Enter a phone number or an email address, so the team can reach you");
        if (!Errors.Any)
        {
            var recorded = await desk.RecordInvolvementAsync(new ClientId(client), new NewInvolvement(Role, Service, Category, Start.ToDate(), Phone, Email),
                cancellationToken);
            if (recorded.Refusal is { NotFound: true }) return this.NotFoundPage();
            if (recorded.Succeeded) return Redirect($"/clients/{client}?done=involvement-recorded");
            Errors.Add(FieldOf(recorded.Refusal!.Field), recorded.Refusal.Message);
        }
        await LoadCategoriesAsync(cancellationToken);
        return Page();
    }

    private async Task LoadCategoriesAsync(CancellationToken cancellationToken) =>
        Categories = [.. (await desk.ConsentChoicesAsync(cancellationToken)).Categories.Select(c => new Govuk.Option(c.Value, c.Label, c.Hint))];

    private static string FieldOf(string? field) => field switch
    {
        "start" => "start-day",
        "contact" or null => "phone",
        _ => field,
    };

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
