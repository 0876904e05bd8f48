using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Patchwork.Core;
using Patchwork.Core.Consents;
using Patchwork.Web.Desk;

namespace Patchwork.Web.Pages.Clients;

public sealed class RecordConsentModel(IClientDesk desk) : PageModel
{
    public FormErrors Errors { get; } = new();

    public string? ShareWith { get; private set; }
    public IReadOnlyList<string> Categories { get; private set; } = [Category.General.Name];
    public string? GivenBy { get; private set; }
    public string? Evidence { get; private set; }
    public string? EvidenceReference { get; private set; }

    public IReadOnlyList<Govuk.Option> ShareWithOptions { get; private set; } = [];
    public IReadOnlyList<Govuk.Option> CategoryOptions { get; private set; } = [];

    public IReadOnlyList<Govuk.Option> GiverOptions { get; } =
    [
        new(nameof(ConsentGiver.Client), "The client"),
        new(nameof(ConsentGiver.PersonWithParentalResponsibility), "A person with parental responsibility"),
        new(nameof(ConsentGiver.LegalRepresentative), "A legal representative"),
    ];

    public IReadOnlyList<Govuk.Option> EvidenceOptions { get; } =
        [new(nameof(EvidenceKind.Written), "In writing"), new(nameof(EvidenceKind.Verbal), "Verbally"), new(nameof(EvidenceKind.Electronic), "Electronically")];

    public async Task<IActionResult> OnGetAsync(Guid client, CancellationToken cancellationToken)
    {
        if (await desk.ClientForTaskAsync(new ClientId(client), "Recording a consent", cancellationToken) is not { Mine: not null }) return this.NotFoundPage();
        await LoadChoicesAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(Guid client, [FromForm] string? shareWith, [FromForm] string[]? categories, [FromForm] string? givenBy,
        [FromForm] string? evidence, [FromForm] string? evidenceReference, CancellationToken cancellationToken)
    {
        (ShareWith, Categories, GivenBy, Evidence, EvidenceReference) =
            (shareWith, categories ?? [], givenBy, evidence, string.IsNullOrWhiteSpace(evidenceReference) ? null : evidenceReference.Trim());
        if (ShareWith is null) Errors.Add("shareWith", "Select who the client has agreed to share with");
        if (Categories.Count == 0) Errors.Add("categories", "Select at least one kind of work that may be shared");
        var giver = Enum.TryParse<ConsentGiver>(GivenBy, out var g) && Enum.IsDefined(g) ? g : (ConsentGiver?)null;
        if (giver is null) Errors.Add("givenBy", "Select who gave consent");
        var kind = Enum.TryParse<EvidenceKind>(Evidence, out var k) && Enum.IsDefined(k) ? k : (EvidenceKind?)null;
        if (kind is null) Errors.Add("evidence", "Select how consent was given");
        if (!Errors.Any)
        {
            var recorded = await desk.RecordConsentAsync(new ClientId(client), new NewConsent(ShareWith, Categories, giver, kind, EvidenceReference), cancellationToken);
            if (recorded.Refusal is { NotFound: true }) return this.NotFoundPage();
            if (recorded.Succeeded) return Redirect($"/clients/{client}?done=consent-recorded");
            Errors.Add(recorded.Refusal!.Field switch { "categories" => "categories", "evidence" => "evidenceReference", _ => "shareWith" }, recorded.Refusal.Message);
        }
        await LoadChoicesAsync(cancellationToken);
        return Page();
    }

    private async Task LoadChoicesAsync(CancellationToken cancellationToken)
    {
        var choices = await desk.ConsentChoicesAsync(cancellationToken);
        ShareWithOptions = [.. choices.ShareWith.Select(c => new Govuk.Option(c.Value, c.Label, c.Hint))];
        CategoryOptions = [.. choices.Categories.Select(c => new Govuk.Option(c.Value, c.Label, c.Hint))];
    }
}
