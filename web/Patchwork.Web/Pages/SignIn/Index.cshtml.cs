using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Patchwork.Web.Desk;

namespace Patchwork.Web.Pages.SignIn;

public sealed class SignInModel(IPractitionerSignIn signIn) : PageModel
{
    public FormErrors Errors { get; } = new();

    public string? Email { get; private set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync([FromForm] string? email, [FromForm] string? password)
    {
        Email = email;
        if (string.IsNullOrWhiteSpace(email)) Errors.Add("email", "Enter your email address");
        if (string.IsNullOrEmpty(password)) Errors.Add("password", "Enter your password");
        if (Errors.Any) return Page();
        var outcome = await signIn.CheckPasswordAsync(email, password);
        switch (outcome.Next)
        {
            case SignInStep.Enrol: return Redirect("/sign-in/enrol");
            case SignInStep.SecondFactor: return Redirect("/sign-in/code");
            case SignInStep.Wait when outcome.RetryAfter is { } wait:
                Errors.Add("email", WaitMessage.For(Response, wait));
                return Page();
            default:
                // One answer for every refusal, as the API gives: it tells no one which part was wrong or that an account is locked.
                Errors.Add("email", "The email address or password is not right, or the account cannot sign in now");
                return Page();
        }
    }
}
