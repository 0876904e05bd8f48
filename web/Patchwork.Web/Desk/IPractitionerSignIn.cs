namespace Patchwork.Web.Desk;

/// <summary>The steps of signing in with a password and a required authenticator app; the host implements them with Identity.</summary>
public interface IPractitionerSignIn
{
    /// <summary>Checks the password; on success the browser is half signed in and must enrol (with the key given) or give a code next.</summary>
    Task<PasswordChecked> CheckPasswordAsync(string? email, string? password);

    /// <summary>The key to enrol an authenticator with, for the half-signed-in account that has none yet; null otherwise.</summary>
    Task<AuthenticatorKey?> EnrolmentKeyAsync();

    /// <summary>Enrols with a first code: the ten recovery codes (shown once), or null when refused.</summary>
    Task<IReadOnlyList<string>?> EnrolAsync(string? code);

    Task<bool> SecondFactorAsync(string? code);

    /// <summary>Signs in with a recovery code: how many are left, or null when refused.</summary>
    Task<int?> RecoveryCodeAsync(string? code);

    Task SignOutAsync();
}

public sealed record PasswordChecked(SignInStep Next, AuthenticatorKey? Key = null);

public enum SignInStep
{
    Refused,
    Enrol,
    SecondFactor,
}

/// <summary>The shared secret, as typed (Base32) and as the otpauth URI an app reads.</summary>
public sealed record AuthenticatorKey(string SharedKey, string Uri)
{
    /// <summary>The key in groups of four, easier to type from a screen.</summary>
    public string Grouped => string.Join(' ', SharedKey.Chunk(4).Select(chunk => new string(chunk))).ToLowerInvariant();
}
