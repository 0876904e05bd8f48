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
        else if (await signIn.RecoveryCodeAsync(code) is { } left) CodesLeft = left;
        else Errors.Add("code", "The recovery code is not right, or it has been used");
        return Page();
    }
}
