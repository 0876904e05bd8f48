using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Patchwork.Web.Desk;

namespace Patchwork.Server.SignIn;

/// <summary>
/// The steps of signing in — password, then enrolling an authenticator or giving its code (or a recovery code) — for the
/// /account endpoints and the sign-in pages alike, so both refuse, count failures and make an account wait the same way.
/// Each step first claims an attempt from the account's allowance (<see cref="SignInRecords"/>): after
/// <see cref="PractitionerSignInOptions.MaxFailedAttempts"/> failures in a row each further attempt waits a growing delay,
/// and the holder is told by mail once. Nothing locks: the right password and code get in once the wait is over.
/// </summary>
public sealed class SecondFactorSignIn(SignInManager<ApplicationUser> signIn, SessionGate sessions, SessionRevocations revocations,
    SignInRecords records, IMailSender mail, PractitionerSignInOptions options, ILogger<SecondFactorSignIn> log) : IPractitionerSignIn
{
    private static readonly PasswordChecked Refused = new(SignInStep.Refused);

    private UserManager<ApplicationUser> Users => signIn.UserManager;

    private CancellationToken Aborted => signIn.Context.RequestAborted;

    public async Task<PasswordChecked> CheckPasswordAsync(string? email, string? password)
    {
        if (string.IsNullOrEmpty(email))
        {
            Users.PasswordHasher.HashPassword(new ApplicationUser(), password ?? "");
            return Refused;
        }
        // Claimed before the account is looked up, and for addresses without one too: the answer tells no one which exist.
        var (claim, wait) = await records.ClaimAttemptAsync(SignInRecords.AccountKey(Users.NormalizeEmail(email)), Aborted);
        if (claim is null) return new PasswordChecked(SignInStep.Wait, RetryAfter: wait);
        var user = await Users.FindByEmailAsync(email);
        if (user is null || string.IsNullOrEmpty(password))
        {
            // Spend a hash's time anyway, so response time does not tell which addresses have accounts.
            Users.PasswordHasher.HashPassword(new ApplicationUser(), password ?? "");
            await FailedAsync(claim, user);
            return Refused;
        }
        var checkedPassword = await signIn.CheckPasswordSignInAsync(user, password, lockoutOnFailure: false);
        if (!checkedPassword.Succeeded)
        {
            await FailedAsync(claim, user);
            return Refused;
        }
        // Half way: the failures in a row end only with the second factor, but this attempt gives back its hold.
        await records.PasswordAcceptedAsync(claim, Aborted);

        var context = signIn.Context;
        await context.SignOutAsync(IdentityConstants.ApplicationScheme);
        // Half signed in: Identity's two-factor cookie names the user; no endpoint but the second factor accepts it.
        await context.SignInAsync(IdentityConstants.TwoFactorUserIdScheme, new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, user.Id.ToString())], IdentityConstants.TwoFactorUserIdScheme)));
        if (user.TwoFactorEnabled) return new PasswordChecked(SignInStep.SecondFactor);
        // A fresh key at each unfinished enrolment, so a key seen earlier (on a shoulder-surfed screen) is worthless.
        await Users.ResetAuthenticatorKeyAsync(user);
        return new PasswordChecked(SignInStep.Enrol, await KeyOfAsync(user));
    }

    public async Task<AuthenticatorKey?> EnrolmentKeyAsync()
    {
        var user = await signIn.GetTwoFactorAuthenticationUserAsync();
        return user is null || user.TwoFactorEnabled ? null : await KeyOfAsync(user);
    }

    public async Task<Enrolment> EnrolAsync(string? code)
    {
        var user = await signIn.GetTwoFactorAuthenticationUserAsync();
        if (user is null || user.TwoFactorEnabled || !await signIn.CanSignInAsync(user) || await Users.IsLockedOutAsync(user)) return new Enrolment(null);
        var (claim, wait) = await ClaimAsync(user);
        if (claim is null) return new Enrolment(null, wait);
        if (!await Users.VerifyTwoFactorTokenAsync(user, Users.Options.Tokens.AuthenticatorTokenProvider, Digits(code)))
        {
            await FailedAsync(claim, user);
            return new Enrolment(null);
        }
        await Users.SetTwoFactorEnabledAsync(user, true);
        await Users.ResetAccessFailedCountAsync(user);
        await records.SignedInAsync(claim.AccountKey, Aborted);
        var recoveryCodes = (await Users.GenerateNewTwoFactorRecoveryCodesAsync(user, 10))?.ToList() ?? [];
        await signIn.Context.SignOutAsync(IdentityConstants.TwoFactorUserIdScheme);
        await signIn.SignInWithClaimsAsync(user, isPersistent: false, [new Claim(PatchworkClaims.AuthenticationMethods, PatchworkClaims.MultiFactor)]);
        sessions.Forget(user.Id);
        return new Enrolment(recoveryCodes);
    }

    public async Task<CodeChecked> SecondFactorAsync(string? code)
    {
        var user = await signIn.GetTwoFactorAuthenticationUserAsync();
        if (user is null || !user.TwoFactorEnabled) return new CodeChecked(false);
        var (claim, wait) = await ClaimAsync(user);
        if (claim is null) return new CodeChecked(false, wait);
        if (!(await signIn.TwoFactorAuthenticatorSignInAsync(Digits(code), isPersistent: false, rememberClient: false)).Succeeded)
        {
            await FailedAsync(claim, user);
            return new CodeChecked(false);
        }
        await records.SignedInAsync(claim.AccountKey, Aborted);
        return new CodeChecked(true);
    }

    public async Task<RecoveryCodeChecked> RecoveryCodeAsync(string? code)
    {
        var user = await signIn.GetTwoFactorAuthenticationUserAsync();
        if (user is null || !user.TwoFactorEnabled || string.IsNullOrWhiteSpace(code)) return new RecoveryCodeChecked(null);
        var (claim, wait) = await ClaimAsync(user);
        if (claim is null) return new RecoveryCodeChecked(null, wait);
        var result = await signIn.TwoFactorRecoveryCodeSignInAsync(code.Replace(" ", "", StringComparison.Ordinal).Trim());
        if (!result.Succeeded)
        {
            await FailedAsync(claim, user);
            return new RecoveryCodeChecked(null);
        }
        await records.SignedInAsync(claim.AccountKey, Aborted);
        return new RecoveryCodeChecked(await Users.CountRecoveryCodesAsync(user));
    }

    /// <summary>Ends this session on every node (a copy of its cookie is refused from now on), then clears the cookies.</summary>
    public async Task SignOutAsync()
    {
        var principal = signIn.Context.User;
        if (Guid.TryParse(Users.GetUserId(principal), out var userId) && Guid.TryParse(principal.FindFirstValue(PatchworkClaims.Session), out var session))
        {
            await records.EndSessionAsync(userId, session, CancellationToken.None);
            sessions.Forget(userId);
            await revocations.AnnounceAsync(userId, CancellationToken.None, session);
        }
        await signIn.SignOutAsync();
    }

    private Task<(AttemptClaim? Claim, TimeSpan Wait)> ClaimAsync(ApplicationUser user) =>
        records.ClaimAttemptAsync(SignInRecords.AccountKey(user.NormalizedEmail ?? Users.NormalizeEmail(user.Email ?? user.Id.ToString())), Aborted);

    /// <summary>Counts the failure; the one that reaches the threshold tells the account's holder, by mail, off the request's path.</summary>
    private async Task FailedAsync(AttemptClaim claim, ApplicationUser? user)
    {
        var failures = await records.FailedAsync(claim, CancellationToken.None);
        if (failures != options.MaxFailedAttempts || user?.Email is not { } email) return;
        var notice = new OutgoingMail(user.DisplayName, email, "Failed attempts to sign in to your Patchwork account",
            $"""
            Hello {user.DisplayName},

            Someone has failed {failures} times in a row to sign in to your Patchwork account, with a wrong password or code.
            Each further attempt now has to wait a while first, growing up to {options.MaxFailureDelay.TotalMinutes:0} minutes; your
            account is not locked, and the right password and code still get you in once the wait is over.

            If this was you, there is nothing to do. If it was not, tell your organisation's administrator.
            """);
        _ = Task.Run(async () =>
        {
            try
            {
                await mail.SendAsync(notice, CancellationToken.None);
            }
            catch (Exception failure) when (failure is IOException or System.Net.Mail.SmtpException or InvalidOperationException or UnauthorizedAccessException)
            {
                log.LogWarning("The notice of failed sign-in attempts could not be sent ({Kind})", failure.GetType().Name);
            }
        }, CancellationToken.None);
    }

    private async Task<AuthenticatorKey?> KeyOfAsync(ApplicationUser user)
    {
        if (await Users.GetAuthenticatorKeyAsync(user) is not { } key) return null;
        var issuer = Uri.EscapeDataString(options.AuthenticatorIssuer);
        return new AuthenticatorKey(key, $"otpauth://totp/{issuer}:{Uri.EscapeDataString(user.Email!)}?secret={key}&issuer={issuer}&digits=6&period=30");
    }

    private static string Digits(string? code) => new((code ?? "").Where(char.IsAsciiDigit).ToArray());
}
