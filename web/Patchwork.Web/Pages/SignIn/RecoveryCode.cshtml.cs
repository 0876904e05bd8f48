using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Patchwork.Web.Desk;

namespace Patchwork.Web.Pages.SignIn;

public sealed class RecoveryCodeModel(IPractitionerSignIn signIn) : PageModel
{
    public FormErrors Errors { get; } = new();

    public int? CodesLeft { get; private set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync([FromForm] string? code)
    {
        if (string.IsNullOrWhiteSpace(code)) Errors.Add("code", "Enter a recovery code");
        else if (await signIn.RecoveryCodeAsync(code) is var outcome && outcome.CodesLeft is { } left) CodesLeft = left;
        else if (outcome.RetryAfter is { } wait) Errors.Add("code", WaitMessage.For(Response, wait));
        else Errors.Add("code", "The recovery code is not right, or it has been used");
        return Page();
    }
}
