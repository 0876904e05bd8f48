using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Patchwork.Web.Desk;

namespace Patchwork.Server.SignIn;

/// <summary>
/// The steps of signing in — password, then enrolling an authenticator or giving its code (or a recovery code) — for the
/// /account endpoints and the sign-in pages alike, so both refuse and lock out the same way.
/// </summary>
public sealed class SecondFactorSignIn(SignInManager<ApplicationUser> signIn, SessionGate sessions, PractitionerSignInOptions options) : IPractitionerSignIn
{
    private UserManager<ApplicationUser> Users => signIn.UserManager;

    public async Task<PasswordChecked> CheckPasswordAsync(string? email, string? password)
    {
        var user = string.IsNullOrEmpty(email) ? null : await Users.FindByEmailAsync(email);
        if (user is null || string.IsNullOrEmpty(password))
        {
            // Spend a hash's time anyway, so response time does not tell which addresses have accounts.
            Users.PasswordHasher.HashPassword(new ApplicationUser(), password ?? "");
            return new PasswordChecked(SignInStep.Refused);
        }
        var checkedPassword = await signIn.CheckPasswordSignInAsync(user, password, lockoutOnFailure: true);
        if (!checkedPassword.Succeeded) return new PasswordChecked(SignInStep.Refused);

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

    public async Task<IReadOnlyList<string>?> EnrolAsync(string? code)
    {
        var user = await signIn.GetTwoFactorAuthenticationUserAsync();
        if (user is null || user.TwoFactorEnabled || !await signIn.CanSignInAsync(user) || await Users.IsLockedOutAsync(user)) return null;
        if (!await Users.VerifyTwoFactorTokenAsync(user, Users.Options.Tokens.AuthenticatorTokenProvider, Digits(code)))
        {
            await Users.AccessFailedAsync(user);
            return null;
        }
        await Users.SetTwoFactorEnabledAsync(user, true);
        await Users.ResetAccessFailedCountAsync(user);
        var recoveryCodes = (await Users.GenerateNewTwoFactorRecoveryCodesAsync(user, 10))?.ToList() ?? [];
        await signIn.Context.SignOutAsync(IdentityConstants.TwoFactorUserIdScheme);
        await signIn.SignInWithClaimsAsync(user, isPersistent: false, [new Claim(PatchworkClaims.AuthenticationMethods, PatchworkClaims.MultiFactor)]);
        sessions.Forget(user.Id);
        return recoveryCodes;
    }

    public async Task<bool> SecondFactorAsync(string? code)
    {
        var user = await signIn.GetTwoFactorAuthenticationUserAsync();
        if (user is null || !user.TwoFactorEnabled) return false;
        return (await signIn.TwoFactorAuthenticatorSignInAsync(Digits(code), isPersistent: false, rememberClient: false)).Succeeded;
    }

    public async Task<int?> RecoveryCodeAsync(string? code)
    {
        var user = await signIn.GetTwoFactorAuthenticationUserAsync();
        if (user is null || !user.TwoFactorEnabled || string.IsNullOrWhiteSpace(code)) return null;
        var result = await signIn.TwoFactorRecoveryCodeSignInAsync(code.Replace(" ", "", StringComparison.Ordinal).Trim());
        return result.Succeeded ? await Users.CountRecoveryCodesAsync(user) : null;
    }

    public Task SignOutAsync() => signIn.SignOutAsync();

    private async Task<AuthenticatorKey?> KeyOfAsync(ApplicationUser user)
    {
        if (await Users.GetAuthenticatorKeyAsync(user) is not { } key) return null;
        var issuer = Uri.EscapeDataString(options.AuthenticatorIssuer);
        return new AuthenticatorKey(key, $"otpauth://totp/{issuer}:{Uri.EscapeDataString(user.Email!)}?secret={key}&issuer={issuer}&digits=6&period=30");
    }

    private static string Digits(string? code) => new((code ?? "").Where(char.IsAsciiDigit).ToArray());
}
