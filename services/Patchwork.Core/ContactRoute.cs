namespace Patchwork.Core;

/// <summary>How to reach a practitioner or a duty team about a client: the one thing Patchwork exists to share.</summary>
public sealed record ContactRoute(string? Phone, string? Email)
{
    public const int MaxLength = 200;

    public static Problem? Check(ContactRoute? route, string field) =>
        route is null || (string.IsNullOrWhiteSpace(route.Phone) && string.IsNullOrWhiteSpace(route.Email))
            ? Problem.Invalid(field, "give a phone number or an email address")
        : route.Phone?.Length > MaxLength || route.Email?.Length > MaxLength
            ? Problem.Invalid(field, $"a phone number or email address has at most {MaxLength} characters")
        : (Text.Plain(route.Phone, field) ?? Text.Plain(route.Email, field)) is { } notPlain ? notPlain
        : route.Email is { } email && !string.IsNullOrWhiteSpace(email) && !LooksLikeEmail(email)
            ? Problem.Invalid(field, "the email address is not in the form name@domain")
        : null;

    // Deliverability is proven by use, not by a pattern: only catch the obvious slip.
    private static bool LooksLikeEmail(string email)
    {
        var at = email.IndexOf('@', StringComparison.Ordinal);
        return at > 0 && at == email.LastIndexOf('@') && at < email.Length - 1 && !email.Any(char.IsWhiteSpace);
    }
}
