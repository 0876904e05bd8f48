using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Patchwork.Web.Desk;

namespace Patchwork.Web.Pages.SignIn;

public sealed class EnrolModel(IPractitionerSignIn signIn) : PageModel
{
    public FormErrors Errors { get; } = new();

    public AuthenticatorKey? Key { get; private set; }

    public IReadOnlyList<string>? RecoveryCodes { get; private set; }

    public async Task<IActionResult> OnGetAsync()
    {
        Key = await signIn.EnrolmentKeyAsync();
        return Key is null ? Redirect("/sign-in") : Page();
    }

    public async Task<IActionResult> OnPostAsync([FromForm] string? code)
    {
        if (string.IsNullOrWhiteSpace(code)) Errors.Add("code", "Enter the 6-digit code from your authenticator app");
        else if (await signIn.EnrolAsync(code) is var outcome && outcome.RecoveryCodes is { } codes)
        {
            // Shown in this response only: the codes are never stored anywhere a later request could read them.
            RecoveryCodes = codes;
            Response.Headers.CacheControl = "no-store";
            return Page();
        }
        else if (outcome.RetryAfter is { } wait) Errors.Add("code", WaitMessage.For(Response, wait));
        else Errors.Add("code", "The code is not right. Check the key, wait for a new code and try again");
        Key = await signIn.EnrolmentKeyAsync();
        return Key is null ? Redirect("/sign-in") : Page();
    }
}
