using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Patchwork.Web.Desk;

namespace Patchwork.Web.Pages.Admin;

/// <summary>
/// Registers a partner system and shows its credentials on the response to that POST only: no redirect, no cache, so they
/// are never in a URL, a history entry or a later page.
/// </summary>
public sealed class NewPartnerSystemModel(IAdminDesk desk) : PageModel
{
    public static IReadOnlyList<Govuk.Option> AuthenticationOptions { get; } =
    [
        new("key", "With a public key (recommended)", "It signs a short assertion with its private key, which never leaves it"),
        new("secret", "With a client secret", "Patchwork generates a secret and shows it once"),
    ];

    public FormErrors Errors { get; } = new();

    public string? Name { get; private set; }
    public IReadOnlyList<string> Scopes { get; private set; } = [];
    public string? Authentication { get; private set; }
    public string? PublicJwk { get; private set; }
    public PartnerSystemCredentials? Credentials { get; private set; }

    public IActionResult OnGet() => desk.Rights.OrganisationAdmin ? Page() : this.NotFoundPage();

    public async Task<IActionResult> OnPostAsync([FromForm] string? name, [FromForm] string[]? scopes, [FromForm] string? authentication,
        [FromForm] string? publicJwk, CancellationToken cancellationToken)
    {
        if (!desk.Rights.OrganisationAdmin) return this.NotFoundPage();
        (Name, Scopes, Authentication, PublicJwk) = (name?.Trim(), scopes ?? [], authentication, string.IsNullOrWhiteSpace(publicJwk) ? null : publicJwk.Trim());
        if (string.IsNullOrWhiteSpace(Name)) Errors.Add("name", "Enter the name of the system");
        if (Scopes.Count == 0) Errors.Add("scopes", "Select what the system may do");
        if (Authentication is not ("key" or "secret")) Errors.Add("authentication", "Select how the system will prove who it is");
        else if (Authentication == "key" && PublicJwk is null) Errors.Add("publicJwk", "Paste the system's public key, or choose a client secret");
        if (!Errors.Any)
        {
            var registered = await desk.RegisterPartnerSystemAsync(new NewPartnerSystem(Name, Scopes, Authentication == "key" ? PublicJwk : null, Authentication == "secret"),
                cancellationToken);
            if (registered.Refusal is { NotFound: true }) return this.NotFoundPage();
            if (registered.Succeeded)
            {
                Credentials = registered.Value;
                Response.Headers.CacheControl = "no-store";
                return Page();
            }
            Errors.Add(registered.Refusal!.Field switch { "displayName" or null => "name", "scopes" => "scopes", _ => "publicJwk" }, registered.Refusal.Message);
        }
        return Page();
    }
}
