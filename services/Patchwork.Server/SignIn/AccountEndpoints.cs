using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace Patchwork.Server.SignIn;

/// <summary>The browser's sign-in surface under /account: form posts, each guarded by an antiforgery token.</summary>
internal static class AccountEndpoints
{
    public sealed record AntiforgeryToken(string RequestToken, string FormFieldName, string? HeaderName);

    public sealed record SignInStep(string Next, string? SharedKey = null, string? AuthenticatorUri = null);

    public sealed record Enrolled(IReadOnlyList<string> RecoveryCodes);

    public sealed record SignedIn(int? RecoveryCodesLeft = null);

    public sealed record AccountCreated(Guid PractitionerId);

    public static void MapAccount(this IEndpointRouteBuilder app)
    {
        var account = app.MapGroup("/account").ExcludeFromDescription();
        account.MapGet("/antiforgery", IssueAntiforgeryToken).AllowAnonymous();
        account.MapPost("/sign-in", SignInWithPassword).AllowAnonymous().RequireRateLimiting(SignInRateLimit.Policy).RequireAntiforgeryToken();
        account.MapPost("/enrolment", Enrol).AllowAnonymous().RequireRateLimiting(SignInRateLimit.Policy).RequireAntiforgeryToken();
        account.MapPost("/second-factor", SecondFactor).AllowAnonymous().RequireRateLimiting(SignInRateLimit.Policy).RequireAntiforgeryToken();
        account.MapPost("/recovery-code", RecoveryCode).AllowAnonymous().RequireRateLimiting(SignInRateLimit.Policy).RequireAntiforgeryToken();
        account.MapPost("/invitations/{token}", AcceptInvitation).AllowAnonymous().RequireRateLimiting(SignInRateLimit.Policy).RequireAntiforgeryToken();
        account.MapPost("/sign-out", SignOut).AllowAnonymous().RequireAntiforgeryToken();
        account.MapPost("/sign-out-everywhere", SignOutEverywhere).RequireAuthorization(PatchworkClaims.PractitionerPolicy).RequireAntiforgeryToken();
    }

    /// <summary>The token a form or script sends back; it is bound to the current user, so fetch it again after signing in.</summary>
    private static Ok<AntiforgeryToken> IssueAntiforgeryToken(HttpContext context, IAntiforgery antiforgery)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new AntiforgeryToken(tokens.RequestToken!, tokens.FormFieldName, tokens.HeaderName));
    }

    private static async Task<Results<Ok<SignInStep>, ProblemHttpResult>> SignInWithPassword(
        [FromForm(Name = "email")] string? email, [FromForm(Name = "password")] string? password, HttpContext context,
        SignInManager<ApplicationUser> signIn, PractitionerSignInOptions options)
    {
        var users = signIn.UserManager;
        var user = string.IsNullOrEmpty(email) ? null : await users.FindByEmailAsync(email);
        if (user is null || string.IsNullOrEmpty(password))
        {
            // Spend a hash's time anyway, so response time does not tell which addresses have accounts.
            users.PasswordHasher.HashPassword(new ApplicationUser(), password ?? "");
            return Refused();
        }
        var checkedPassword = await signIn.CheckPasswordSignInAsync(user, password, lockoutOnFailure: true);
        if (!checkedPassword.Succeeded) return Refused();

        await context.SignOutAsync(IdentityConstants.ApplicationScheme);
        // Half signed in: Identity's two-factor cookie names the user; no endpoint but the second factor accepts it.
        await context.SignInAsync(IdentityConstants.TwoFactorUserIdScheme, new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, user.Id.ToString())], IdentityConstants.TwoFactorUserIdScheme)));
        if (user.TwoFactorEnabled) return TypedResults.Ok(new SignInStep("second-factor"));

        // A fresh key at each unfinished enrolment, so a key seen earlier (on a shoulder-surfed screen) is worthless.
        await users.ResetAuthenticatorKeyAsync(user);
        var key = await users.GetAuthenticatorKeyAsync(user) ?? throw new InvalidOperationException("No authenticator key after a reset.");
        var issuer = Uri.EscapeDataString(options.AuthenticatorIssuer);
        var uri = $"otpauth://totp/{issuer}:{Uri.EscapeDataString(user.Email!)}?secret={key}&issuer={issuer}&digits=6&period=30";
        return TypedResults.Ok(new SignInStep("enrol", key, uri));
    }

    private static async Task<Results<Ok<Enrolled>, ProblemHttpResult>> Enrol([FromForm(Name = "code")] string? code,
        SignInManager<ApplicationUser> signIn, SessionGate sessions)
    {
        var users = signIn.UserManager;
        var user = await signIn.GetTwoFactorAuthenticationUserAsync();
        if (user is null || user.TwoFactorEnabled || !await signIn.CanSignInAsync(user) || await users.IsLockedOutAsync(user)) return Refused();
        if (!await users.VerifyTwoFactorTokenAsync(user, users.Options.Tokens.AuthenticatorTokenProvider, Digits(code)))
        {
            await users.AccessFailedAsync(user);
            return Refused();
        }
        await users.SetTwoFactorEnabledAsync(user, true);
        await users.ResetAccessFailedCountAsync(user);
        var recoveryCodes = (await users.GenerateNewTwoFactorRecoveryCodesAsync(user, 10))?.ToList() ?? [];
        await signIn.Context.SignOutAsync(IdentityConstants.TwoFactorUserIdScheme);
        await signIn.SignInWithClaimsAsync(user, isPersistent: false, [new Claim(PatchworkClaims.AuthenticationMethods, PatchworkClaims.MultiFactor)]);
        sessions.Forget(user.Id);
        return TypedResults.Ok(new Enrolled(recoveryCodes));
    }

    private static async Task<Results<Ok<SignedIn>, ProblemHttpResult>> SecondFactor([FromForm(Name = "code")] string? code,
        SignInManager<ApplicationUser> signIn)
    {
        var user = await signIn.GetTwoFactorAuthenticationUserAsync();
        if (user is null || !user.TwoFactorEnabled) return Refused();
        var result = await signIn.TwoFactorAuthenticatorSignInAsync(Digits(code), isPersistent: false, rememberClient: false);
        return result.Succeeded ? TypedResults.Ok(new SignedIn()) : Refused();
    }

    private static async Task<Results<Ok<SignedIn>, ProblemHttpResult>> RecoveryCode([FromForm(Name = "code")] string? code,
        SignInManager<ApplicationUser> signIn)
    {
        var user = await signIn.GetTwoFactorAuthenticationUserAsync();
        if (user is null || !user.TwoFactorEnabled || string.IsNullOrWhiteSpace(code)) return Refused();
        var result = await signIn.TwoFactorRecoveryCodeSignInAsync(code.Replace(" ", "", StringComparison.Ordinal).Trim());
        return result.Succeeded ? TypedResults.Ok(new SignedIn(await signIn.UserManager.CountRecoveryCodesAsync(user))) : Refused();
    }

    private static async Task<Results<Created<AccountCreated>, ValidationProblem, NotFound<ProblemDetails>>> AcceptInvitation(
        string token, [FromForm(Name = "password")] string? password, PractitionerAccounts accounts, CancellationToken cancellationToken)
    {
        var accepted = await accounts.AcceptInvitationAsync(token, password ?? "", cancellationToken);
        return accepted.Status switch
        {
            StatusCodes.Status200OK => TypedResults.Created("/api/v1/me", new AccountCreated(accepted.Value.Value)),
            StatusCodes.Status400BadRequest => TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["password"] = accepted.Errors }),
            _ => TypedResults.NotFound(new ProblemDetails
            {
                Status = StatusCodes.Status404NotFound,
                Title = "This invitation link is not valid",
                Detail = "It may have been used already or have expired. Ask your organisation's administrator for a new one.",
            }),
        };
    }

    private static async Task<NoContent> SignOut(SignInManager<ApplicationUser> signIn)
    {
        await signIn.SignOutAsync();
        return TypedResults.NoContent();
    }

    /// <summary>Every other session of the account ends at its next request; this one is re-issued with the new stamp.</summary>
    private static async Task<Results<NoContent, UnauthorizedHttpResult>> SignOutEverywhere(HttpContext context,
        SignInManager<ApplicationUser> signIn, PractitionerAccounts accounts)
    {
        var user = await signIn.UserManager.GetUserAsync(context.User);
        if (user is null) return TypedResults.Unauthorized();
        await accounts.EndEverySessionAsync(user);
        await signIn.RefreshSignInAsync(user);
        return TypedResults.NoContent();
    }

    /// <summary>One answer for every refusal, so a caller learns neither which part was wrong nor whether the account is locked.</summary>
    private static ProblemHttpResult Refused() => TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized,
        title: "Sign-in refused", detail: "The email address, password or code is not right, or the account cannot sign in now.");

    private static string Digits(string? code) => new((code ?? "").Where(char.IsAsciiDigit).ToArray());
}
