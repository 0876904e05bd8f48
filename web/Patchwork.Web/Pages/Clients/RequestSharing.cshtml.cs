using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Patchwork.Core;
using Patchwork.Web.Desk;

namespace Patchwork.Web.Pages.Clients;

/// <summary>Asking to share without consent: three questions, then check your answers, then the request goes to a manager.</summary>
public sealed class RequestSharingModel(IClientDesk desk, IClientTasks tasks) : PageModel
{
    public static IReadOnlyList<Govuk.Option> Bases { get; } =
    [
        new("SafeguardingChild", "Safeguarding a child"), new("SafeguardingAdultAtRisk", "Safeguarding an adult at risk"),
        new("PublicTask", "Public task"), new("VitalInterests", "Vital interests"),
    ];

    public static IReadOnlyList<Govuk.Option> Terms { get; } = [new("1", "In 1 month"), new("3", "In 3 months"), new("6", "In 6 months")];

    public FormErrors Errors { get; } = new();

    public Guid Client { get; private set; }

    public bool Checking { get; private set; }

    public string? LawfulBasis { get; private set; }

    public string? Justification { get; private set; }

    public string? Months { get; private set; }

    public string? BasisLabel => Bases.FirstOrDefault(b => b.Value == LawfulBasis)?.Label;

    public string? MonthsLabel => Terms.FirstOrDefault(t => t.Value == Months)?.Label;

    public async Task<IActionResult> OnGetAsync(Guid client, CancellationToken cancellationToken) =>
        await OnTeamAsync(client, cancellationToken) ? Page() : this.NotFoundPage();

    public async Task<IActionResult> OnPostAsync(Guid client, [FromForm] string? lawfulBasis, [FromForm] string? justification, [FromForm] string? months,
        [FromForm] string? step, CancellationToken cancellationToken)
    {
        if (!await OnTeamAsync(client, cancellationToken)) return this.NotFoundPage();
        (LawfulBasis, Justification, Months) = (lawfulBasis, justification?.Trim(), months);
        if (step == "change") return Page();
        if (BasisLabel is null) Errors.Add("lawfulBasis", "Select the lawful basis");
        if (string.IsNullOrWhiteSpace(Justification)) Errors.Add("justification", "Enter why it must be shared without consent");
        if (MonthsLabel is null) Errors.Add("months", "Select when it should be reviewed");
        if (Errors.Any) return Page();
        if (step != "send")
        {
            Checking = true;
            return Page();
        }
        var requested = await tasks.RequestSharingWithoutConsentAsync(new ClientId(client), LawfulBasis, Justification,
            int.Parse(Months!, CultureInfo.InvariantCulture), cancellationToken);
        if (requested.Succeeded) return Redirect($"/clients/{client}?done=sharing-requested");
        if (requested.Refusal is { NotFound: true }) return this.NotFoundPage();
        Errors.Add(requested.Refusal!.Field switch { "lawfulBasis" => "lawfulBasis", "expiresAt" => "months", _ => "justification" }, requested.Refusal.Message);
        return Page();
    }

    private async Task<bool> OnTeamAsync(Guid client, CancellationToken cancellationToken)
    {
        Client = client;
        return await desk.ClientForTaskAsync(new ClientId(client), "Asking to share without consent", cancellationToken) is { Mine: not null };
    }
}
