using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Patchwork.Web.Desk;

namespace Patchwork.Web.Pages.Clients;

/// <summary>
/// A search is a POST: the NHS number, name and purpose stay out of URLs, browser history and access logs. The results are
/// rendered in the response (never stored), and the search is audited with its purpose by the desk.
/// </summary>
public sealed class FindModel(IClientDesk desk) : PageModel
{
    public FormErrors Errors { get; } = new();

    /// <summary>The common purpose chosen (its code), or <see cref="ReadPurposes.Other"/>.</summary>
    public string? ChosenPurpose { get; private set; }

    public string? OtherPurpose { get; private set; }
    public string? NhsNumber { get; private set; }
    public string? FamilyName { get; private set; }
    public DateParts DateOfBirth { get; private set; } = DateParts.Empty;
    public string? Postcode { get; private set; }

    public IReadOnlyList<ClientMatch>? Matches { get; private set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync([FromForm] string? purpose, [FromForm] string? otherPurpose, [FromForm] string? nhsNumber, [FromForm] string? familyName,
        [FromForm] string? postcode, CancellationToken cancellationToken)
    {
        (ChosenPurpose, OtherPurpose, NhsNumber, FamilyName, Postcode) = (purpose, otherPurpose?.Trim(), Blank(nhsNumber), Blank(familyName), Blank(postcode));
        // A common purpose is recorded in its words, so the access figures count searches by it; another is written in.
        var stated = ReadPurposes.Named(purpose) ?? (purpose == ReadPurposes.Other ? OtherPurpose : null);
        DateOfBirth = DateParts.From(Request.Form, "dateOfBirth");
        if (purpose is null) Errors.Add("purpose", "Choose why you are searching");
        else if (purpose == ReadPurposes.Other && string.IsNullOrWhiteSpace(OtherPurpose)) Errors.Add("otherPurpose", "Enter why you are searching");
        else if (stated is null) Errors.Add("purpose", "Choose why you are searching");
        var byName = FamilyName is not null || !DateOfBirth.IsBlank;
        var routes = (NhsNumber is null ? 0 : 1) + (byName ? 1 : 0) + (Postcode is null ? 0 : 1);
        if (routes != 1) Errors.Add("nhsNumber", "Enter an NHS number, or a family name and date of birth, or a postcode (one of these)");
        else if (byName && FamilyName is null) Errors.Add("familyName", "Enter the family name");
        else if (byName && DateOfBirth.ToDate() is null) Errors.Add("dateOfBirth-day", "Enter the date of birth as a real date, for example 17 4 2011");
        if (Errors.Any) return Page();

        var found = await desk.SearchAsync(new ClientSearch(stated, NhsNumber, FamilyName, DateOfBirth.ToDate(), Postcode), cancellationToken);
        if (found.Refusal is { } refused)
        {
            Errors.Add(refused.Field == "purpose" && purpose == ReadPurposes.Other ? "otherPurpose" : refused.Field ?? "purpose", refused.Message);
            return Page();
        }
        Matches = found.Value;
        Response.Headers.CacheControl = "no-store";
        return Page();
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
