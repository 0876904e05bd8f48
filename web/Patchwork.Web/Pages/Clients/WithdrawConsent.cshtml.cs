using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Patchwork.Core;
using Patchwork.Web.Desk;

namespace Patchwork.Web.Pages.Clients;

public sealed class WithdrawConsentModel(IClientDesk desk) : PageModel
{
    public Guid Client { get; private set; }

    public ConsentSummary? Consent { get; private set; }

    public async Task<IActionResult> OnGetAsync(Guid client, Guid consent, CancellationToken cancellationToken)
    {
        Client = client;
        var record = await desk.ClientForTaskAsync(new ClientId(client), "Withdrawing a consent", cancellationToken);
        Consent = record?.Mine is null ? null : record.Consents.FirstOrDefault(c => c.Id.Value == consent && c.InForce);
        return Consent is null ? this.NotFoundPage() : Page();
    }

    public async Task<IActionResult> OnPostAsync(Guid client, Guid consent, CancellationToken cancellationToken)
    {
        var withdrawn = await desk.WithdrawConsentAsync(new ClientId(client), new ConsentId(consent), cancellationToken);
        return withdrawn.Refusal is { NotFound: true } ? this.NotFoundPage() : Redirect(withdrawn.Succeeded ? $"/clients/{client}?done=consent-withdrawn" : $"/clients/{client}");
    }
}
