using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Patchwork.Web.Desk;

namespace Patchwork.Web.Pages.Admin;

/// <summary>An organisation admin's partner systems: never a secret here, only what identifies each.</summary>
public sealed class PartnerSystemsModel(IAdminDesk desk) : PageModel
{
    private static readonly Dictionary<string, string> Notices = new(StringComparer.Ordinal)
    {
        ["revoked"] = "The partner system is revoked. Its tokens stop working and its broker connections close.",
    };

    public IReadOnlyList<PartnerSystemSummary> Systems { get; private set; } = [];

    public string? Notice { get; private set; }

    public async Task<IActionResult> OnGetAsync(string? done, CancellationToken cancellationToken)
    {
        if (!desk.Rights.OrganisationAdmin) return this.NotFoundPage();
        var read = await desk.PartnerSystemsAsync(cancellationToken);
        if (!read.Succeeded) return this.NotFoundPage();
        Systems = read.Value!;
        Notice = done is null ? null : Notices.GetValueOrDefault(done);
        Response.Headers.CacheControl = "private, no-store";
        return Page();
    }

    public static IReadOnlyList<Govuk.Option> ScopeOptions { get; } =
    [
        new("partner.read", ScopeName("partner.read"), "Receive notices and read what the policy lets the organisation see"),
        new("partner.involvements.write", ScopeName("partner.involvements.write"), "Register clients and record and end involvements"),
        new("partner.consents.write", ScopeName("partner.consents.write"), "Record and withdraw consents and objections"),
        new("system/Patient.rs", ScopeName("system/Patient.rs"), "FHIR: find a patient by NHS number (only that a match exists)"),
        new("system/CareTeam.rs", ScopeName("system/CareTeam.rs"), "FHIR: read the care team the policy lets the organisation see"),
        new("system/Consent.rs", ScopeName("system/Consent.rs"), "FHIR: read the consents and lawful bases the organisation may see"),
    ];

    public static string ScopeName(string scope) => scope switch
    {
        "partner.read" => "Read",
        "partner.involvements.write" => "Record involvements",
        "partner.consents.write" => "Record consents",
        "system/Patient.rs" => "FHIR patient search",
        "system/CareTeam.rs" => "FHIR care team",
        "system/Consent.rs" => "FHIR consents",
        _ => scope,
    };

    public static string AuthenticationName(string method) => method switch
    {
        "private_key_jwt" => "Public key",
        "client_secret_basic" => "Client secret",
        _ => method,
    };
}
