namespace Patchwork.Core;

/// <summary>What kind of refusal a domain decision made; the host maps each to an HTTP status.</summary>
public enum ProblemKind
{
    Invalid,
    Conflict,
    NotFound,
    Forbidden,
}

/// <summary>
/// A domain refusal, returned rather than thrown so every channel can turn it into a ProblemDetails
/// (RFC 9457) response or a bus reply. <see cref="Field"/> names the offending command field, in camelCase.
/// </summary>
public sealed record Problem(ProblemKind Kind, string Detail, string? Field = null)
{
    public static Problem Invalid(string field, string reason) => new(ProblemKind.Invalid, reason, field);

    public static Problem Conflict(string detail) => new(ProblemKind.Conflict, detail);

    public static Problem NotFound(string detail) => new(ProblemKind.NotFound, detail);

    public static Problem Forbidden(string detail) => new(ProblemKind.Forbidden, detail);

    public override string ToString() => Field is null ? $"{Kind}: {Detail}" : $"{Kind} {Field}: {Detail}";
}
