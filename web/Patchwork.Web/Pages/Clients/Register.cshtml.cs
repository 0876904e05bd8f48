using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Patchwork.Web.Desk;

namespace Patchwork.Web.Pages.Clients;

public sealed class RegisterModel(IClientDesk desk) : PageModel
{
    public FormErrors Errors { get; } = new();

    public NewClient Client { get; private set; } = new(null, null, null, null, null, false);

    public DateParts DateOfBirth { get; private set; } = DateParts.Empty;

    /// <summary>The registration looks like someone already registered: the page says so and offers a search, naming no one.</summary>
    public bool LikelyMatch { get; private set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync([FromForm] string? givenNames, [FromForm] string? familyName, [FromForm] string? nhsNumber,
        [FromForm] string? postcode, [FromForm] bool candidatesSeen, CancellationToken cancellationToken)
    {
        DateOfBirth = DateParts.From(Request.Form, "dateOfBirth");
        Client = new NewClient(givenNames?.Trim(), familyName?.Trim(), DateOfBirth.ToDate(), Blank(nhsNumber), Blank(postcode), candidatesSeen);
        if (string.IsNullOrWhiteSpace(Client.GivenNames)) Errors.Add("givenNames", "Enter the client's given names");
        if (string.IsNullOrWhiteSpace(Client.FamilyName)) Errors.Add("familyName", "Enter the client's family name");
        if (Client.DateOfBirth is null) Errors.Add("dateOfBirth-day", "Enter the date of birth as a real date, for example 17 4 2011");
        if (Errors.Any) return Page();

        var registered = await desk.RegisterAsync(Client, cancellationToken);
        if (registered.Refusal is { } refused)
        {
            LikelyMatch = refused.LikelyMatch;
            Errors.Add(refused.Field == "dateOfBirth" ? "dateOfBirth-day" : refused.Field ?? (LikelyMatch ? "candidatesSeen" : "givenNames"),
                LikelyMatch ? "Someone already registered may be this client: find them first, or confirm that they are someone new" : refused.Message);
            return Page();
        }
        return Redirect($"/clients/{registered.Value.Value}/involvements/new");
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
