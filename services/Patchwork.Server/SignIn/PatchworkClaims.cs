namespace Patchwork.Server.SignIn;

/// <summary>The claims a signed-in practitioner's session carries; other endpoints read these names, never their own strings.</summary>
public static class PatchworkClaims
{
    /// <summary>The domain practitioner id, as a Guid in "D" format.</summary>
    public const string Practitioner = "pw:practitioner";

    /// <summary>The practitioner's organisation id, as a Guid in "D" format.</summary>
    public const string Organisation = "pw:org";

    /// <summary>One claim per <see cref="Patchwork.Core.Roles"/> flag held, by its name (e.g. "Manager").</summary>
    public const string Role = "pw:role";

    /// <summary>Identity's authentication-methods claim; "mfa" means the second factor was satisfied.</summary>
    public const string AuthenticationMethods = "amr";

    public const string MultiFactor = "mfa";

    /// <summary>This session's id (a Guid in "D" format), minted at sign-in: signing out ends this id, on every node.</summary>
    public const string Session = "sid";

    /// <summary>The authorization policy for practitioner-only endpoints: a session cookie that passed the second factor.</summary>
    public const string PractitionerPolicy = "patchwork-practitioner";
}
