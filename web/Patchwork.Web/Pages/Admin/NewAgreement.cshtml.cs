using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Patchwork.Web.Desk;

namespace Patchwork.Web.Pages.Admin;

/// <summary>A partnership admin records an agreement the organisations have signed.</summary>
public sealed class NewAgreementModel(IAdminDesk desk, TimeProvider clock) : PageModel
{
    public FormErrors Errors { get; } = new();

    public string? Name { get; private set; }
    public IReadOnlyList<string> Members { get; private set; } = [];
    public IReadOnlyList<string> Categories { get; private set; } = ["general"];
    public DateParts Start { get; private set; } = DateParts.Empty;
    public DateParts End { get; private set; } = DateParts.Empty;
    public IReadOnlyList<Govuk.Option> OrganisationOptions { get; private set; } = [];
    public IReadOnlyList<Govuk.Option> CategoryOptions { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (!desk.Rights.PartnershipAdmin) return this.NotFoundPage();
        Start = DateParts.Of(DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime));
        await LoadChoicesAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync([FromForm] string? name, [FromForm] string[]? members, [FromForm] string[]? categories, CancellationToken cancellationToken)
    {
        if (!desk.Rights.PartnershipAdmin) return this.NotFoundPage();
        (Name, Members, Categories) = (name?.Trim(), members ?? [], categories ?? []);
        (Start, End) = (DateParts.From(Request.Form, "start"), DateParts.From(Request.Form, "end"));
        if (string.IsNullOrWhiteSpace(Name)) Errors.Add("name", "Enter the name of the agreement");
        var memberIds = Members.Select(m => Guid.TryParse(m, out var id) ? id : Guid.Empty).Where(id => id != Guid.Empty).Distinct().ToList();
        if (memberIds.Count < 2) Errors.Add("members", "Select at least two organisations");
        if (Categories.Count == 0) Errors.Add("categories", "Select at least one kind of work it covers");
        if (Start.ToDate() is null) Errors.Add("start-day", "Enter the agreement's first day as a real date, for example 1 4 2026");
        if (!End.IsBlank && End.ToDate() is null) Errors.Add("end-day", "Enter the agreement's last day as a real date, or leave it blank");
        if (!Errors.Any)
        {
            var made = await desk.MakeAgreementAsync(new NewAgreement(Name, memberIds, Categories, Start.ToDate(), End.ToDate()), cancellationToken);
            if (made.Refusal is { NotFound: true }) return this.NotFoundPage();
            if (made.Succeeded) return Redirect("/admin/agreements?done=made");
            Errors.Add(made.Refusal!.Field switch { "start" => "start-day", "end" => "end-day", "members" or "categories" or "name" => made.Refusal.Field, _ => "name" },
                made.Refusal.Message);
        }
        await LoadChoicesAsync(cancellationToken);
        return Page();
    }

    private async Task LoadChoicesAsync(CancellationToken cancellationToken)
    {
        var choices = await desk.AgreementChoicesAsync(cancellationToken);
        OrganisationOptions = [.. choices.Organisations.Select(c => new Govuk.Option(c.Value, c.Label, c.Hint))];
        CategoryOptions = [.. choices.Categories.Select(c => new Govuk.Option(c.Value, c.Label, c.Hint))];
    }
}
