namespace Patchwork.Server.SignIn;

/// <summary>Settings of practitioner sign-in (configuration section <c>SignIn</c>).</summary>
public sealed class PractitionerSignInOptions
{
    public const string Section = "SignIn";

    /// <summary>
    /// Failed passwords or codes in a row for one account (from anywhere) before each further attempt must wait, and the
    /// account holder is told by mail. Never a lock: the right password and code get in once the wait is over.
    /// </summary>
    public int MaxFailedAttempts { get; set; } = 5;

    /// <summary>The wait after the <see cref="MaxFailedAttempts"/>-th failure; it doubles with each further failure.</summary>
    public TimeSpan FailureDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest wait, however many failures: what an anonymous guesser can hold an account's holder back by.</summary>
    public TimeSpan MaxFailureDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A session ends after this long without a request (sliding).</summary>
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How often Identity re-reads the security stamp; the session check below is what ends sessions at once.</summary>
    public TimeSpan SecurityStampValidationInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long one node trusts its cached (security stamp, disabled) pair; changes made on this node apply at once.</summary>
    public TimeSpan SessionCheckCacheDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Sign-in, second-factor and invitation requests allowed per remote address per window.</summary>
    public int AttemptsPerWindow { get; set; } = 10;

    public TimeSpan AttemptWindow { get; set; } = TimeSpan.FromMinutes(1);

    public TimeSpan InvitationLifetime { get; set; } = TimeSpan.FromHours(72);

    /// <summary>The issuer an authenticator app shows next to the account.</summary>
    public string AuthenticatorIssuer { get; set; } = "Patchwork";

    /// <summary>
    /// The public origin used in invitation links (e.g. https://patchwork.example); required in Production. Empty elsewhere
    /// means the first address the host listens on; never the request's Host header.
    /// </summary>
    public string PublicBaseUrl { get; set; } = "";

    public void Validate()
    {
        if (MaxFailedAttempts < 1) throw new InvalidOperationException("SignIn:MaxFailedAttempts must be at least 1.");
        if (FailureDelay <= TimeSpan.Zero || MaxFailureDelay < FailureDelay)
            throw new InvalidOperationException("SignIn:FailureDelay must be positive and SignIn:MaxFailureDelay at least as long.");
        if (AttemptsPerWindow < 1 || AttemptWindow <= TimeSpan.Zero) throw new InvalidOperationException("SignIn:AttemptsPerWindow and SignIn:AttemptWindow must be positive.");
        if (InvitationLifetime <= TimeSpan.Zero) throw new InvalidOperationException("SignIn:InvitationLifetime must be positive.");
        if (PublicBaseUrl.Length > 0 && !Uri.TryCreate(PublicBaseUrl, UriKind.Absolute, out _))
            throw new InvalidOperationException("SignIn:PublicBaseUrl must be an absolute URL.");
    }
}
