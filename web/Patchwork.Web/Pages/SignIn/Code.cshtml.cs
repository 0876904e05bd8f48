using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Patchwork.Web.Desk;

namespace Patchwork.Web.Pages.SignIn;

public sealed class CodeModel(IPractitionerSignIn signIn) : PageModel
{
    public FormErrors Errors { get; } = new();

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync([FromForm] string? code)
    {
        if (string.IsNullOrWhiteSpace(code)) Errors.Add("code", "Enter the code from your authenticator app");
        else if (await signIn.SecondFactorAsync(code) is var outcome && outcome.Accepted) return Redirect("/");
        else if (outcome.RetryAfter is { } wait) Errors.Add("code", WaitMessage.For(Response, wait));
        else Errors.Add("code", "The code is not right, it has expired or it has been used. Enter the next code the app shows");
        return Page();
    }
}
