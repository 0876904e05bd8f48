using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Patchwork.Web.Desk;

namespace Patchwork.Web.Pages.Admin;

/// <summary>The agreements the API lets this practitioner read; a partnership admin may make and end them.</summary>
public sealed class AgreementsModel(IAdminDesk desk) : PageModel
{
    private static readonly Dictionary<string, string> Notices = new(StringComparer.Ordinal)
    {
        ["made"] = "The agreement is made. Its members share what it covers from its first day.",
        ["ended"] = "The agreement is ended. Nothing more is shared under it.",
    };

    public IReadOnlyList<AgreementSummary> Agreements { get; private set; } = [];

    public bool MayChange => desk.Rights.PartnershipAdmin;

    public string? Notice { get; private set; }

    public async Task<IActionResult> OnGetAsync(string? done, CancellationToken cancellationToken)
    {
        var read = await desk.AgreementsAsync(cancellationToken);
        if (!read.Succeeded) return this.NotFoundPage();
        Agreements = read.Value!;
        Notice = done is null ? null : Notices.GetValueOrDefault(done);
        return Page();
    }
}
