using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Patchwork.Server.Api;

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
        // In the OpenAPI document (tag "account"), so a client generated from it can sign in.
        var account = app.MapGroup("/account").WithTags("account").AnswersProblems();
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

    private static async Task<Results<Ok<SignInStep>, ProblemHttpResult>> SignInWithPassword(HttpContext context,
        [FromForm(Name = "email")] string? email, [FromForm(Name = "password")] string? password, SecondFactorSignIn signIn) =>
        await signIn.CheckPasswordAsync(email, password) switch
        {
            { Next: Patchwork.Web.Desk.SignInStep.SecondFactor } => TypedResults.Ok(new SignInStep("second-factor")),
            { Next: Patchwork.Web.Desk.SignInStep.Enrol, Key: { } key } => TypedResults.Ok(new SignInStep("enrol", key.SharedKey, key.Uri)),
            { RetryAfter: { } wait } => Wait(context, wait),
            _ => Refused(),
        };

    private static async Task<Results<Ok<Enrolled>, ProblemHttpResult>> Enrol(HttpContext context, [FromForm(Name = "code")] string? code, SecondFactorSignIn signIn) =>
        await signIn.EnrolAsync(code) switch
        {
            { RecoveryCodes: { } recoveryCodes } => TypedResults.Ok(new Enrolled(recoveryCodes)),
            { RetryAfter: { } wait } => Wait(context, wait),
            _ => Refused(),
        };

    private static async Task<Results<Ok<SignedIn>, ProblemHttpResult>> SecondFactor(HttpContext context, [FromForm(Name = "code")] string? code, SecondFactorSignIn signIn) =>
        await signIn.SecondFactorAsync(code) switch
        {
            { Accepted: true } => TypedResults.Ok(new SignedIn()),
            { RetryAfter: { } wait } => Wait(context, wait),
            _ => Refused(),
        };

    private static async Task<Results<Ok<SignedIn>, ProblemHttpResult>> RecoveryCode(HttpContext context, [FromForm(Name = "code")] string? code, SecondFactorSignIn signIn) =>
        await signIn.RecoveryCodeAsync(code) switch
        {
            { CodesLeft: { } left } => TypedResults.Ok(new SignedIn(left)),
            { RetryAfter: { } wait } => Wait(context, wait),
            _ => Refused(),
        };

    private static async Task<Results<Created<AccountCreated>, ValidationProblem, ProblemHttpResult>> AcceptInvitation(
        string token, [FromForm(Name = "password")] string? password, PractitionerAccounts accounts, CancellationToken cancellationToken)
    {
        var accepted = await accounts.AcceptInvitationAsync(token, password ?? "", cancellationToken);
        return accepted.Status switch
        {
            StatusCodes.Status200OK => TypedResults.Created("/api/v1/me", new AccountCreated(accepted.Value.Value)),
            StatusCodes.Status400BadRequest => TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["password"] = accepted.Errors }),
            // A problem result, not NotFound<ProblemDetails>: that one documents its 404 as application/json, and the body is a problem.
            _ => TypedResults.Problem("It may have been used already or have expired. Ask your organisation's administrator for a new one.",
                statusCode: StatusCodes.Status404NotFound, title: "This invitation link is not valid"),
        };
    }

    private static async Task<NoContent> SignOut(SecondFactorSignIn signIn)
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

    /// <summary>The account has failed too often in a row: this attempt was not checked, and the next may come after the wait.</summary>
    private static ProblemHttpResult Wait(HttpContext context, TimeSpan wait)
    {
        context.Response.Headers.RetryAfter = SignInRateLimit.Seconds(wait);
        return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many failed attempts for this account",
            detail: "Wait before trying again: each attempt after several failures in a row must wait a little longer.");
    }

    /// <summary>One answer for every refusal, so a caller learns neither which part was wrong nor whether the account is locked.</summary>
    private static ProblemHttpResult Refused() => TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized,
        title: "Sign-in refused", detail: "The email address, password or code is not right, or the account cannot sign in now.");
}
