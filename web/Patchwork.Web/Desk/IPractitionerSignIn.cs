namespace Patchwork.Web.Desk;

/// <summary>The steps of signing in with a password and a required authenticator app; the host implements them with Identity.</summary>
public interface IPractitionerSignIn
{
    /// <summary>Checks the password; on success the browser is half signed in and must enrol (with the key given) or give a code next.</summary>
    Task<PasswordChecked> CheckPasswordAsync(string? email, string? password);

    /// <summary>The key to enrol an authenticator with, for the half-signed-in account that has none yet; null otherwise.</summary>
    Task<AuthenticatorKey?> EnrolmentKeyAsync();

    /// <summary>Enrols with a first code: the ten recovery codes (shown once), or none when refused or when the account must wait.</summary>
    Task<Enrolment> EnrolAsync(string? code);

    Task<CodeChecked> SecondFactorAsync(string? code);

    /// <summary>Signs in with a recovery code: how many are left, or none when refused or when the account must wait.</summary>
    Task<RecoveryCodeChecked> RecoveryCodeAsync(string? code);

    Task SignOutAsync();
}

/// <summary>
/// <see cref="RetryAfter"/> is set when the account has failed too often in a row and this attempt was not checked at
/// all: the caller answers 429 with Retry-After. It is given for an address with no account exactly as for one with.
/// </summary>
public sealed record PasswordChecked(SignInStep Next, AuthenticatorKey? Key = null, TimeSpan? RetryAfter = null);

public sealed record Enrolment(IReadOnlyList<string>? RecoveryCodes, TimeSpan? RetryAfter = null);

public sealed record CodeChecked(bool Accepted, TimeSpan? RetryAfter = null);

public sealed record RecoveryCodeChecked(int? CodesLeft, TimeSpan? RetryAfter = null);

public enum SignInStep
{
    Refused,
    Enrol,
    SecondFactor,

    /// <summary>Not checked: the account must wait <see cref="PasswordChecked.RetryAfter"/> first.</summary>
    Wait,
}

/// <summary>The shared secret, as typed (Base32) and as the otpauth URI an app reads.</summary>
public sealed record AuthenticatorKey(string SharedKey, string Uri)
{
    /// <summary>The key in groups of four, easier to type from a screen.</summary>
    public string Grouped => string.Join(' ', SharedKey.Chunk(4).Select(chunk => new string(chunk))).ToLowerInvariant();
}
