namespace Patchwork.Core;

/// <summary>What kind of refusal a domain decision made; the host maps each to an HTTP status.</summary>
public enum ProblemKind
{
    Invalid,
    Conflict,
    NotFound,
    Forbidden,

    /// <summary>Something the act needs is not reachable now (a broker, a store this node was not given): try again later.</summary>
    Unavailable,
}

/// <summary>
/// A domain refusal, returned rather than thrown so every channel can turn it into a ProblemDetails
/// (RFC 9457) response or a bus reply. <see cref="Field"/> names the offending command field, in camelCase.
/// </summary>
public sealed record Problem(ProblemKind Kind, string Detail, string? Field = null)
{
    public static Problem Invalid(string field, string reason) => new(ProblemKind.Invalid, reason, field);

    /// <summary>
    /// Several fields refused at once (an admin form checked whole), each with its reasons; <see cref="Field"/> and
    /// <see cref="Detail"/> name the first, for a door that shows one.
    /// </summary>
    public static Problem Invalid(IReadOnlyDictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var (field, reasons) = errors.First();
        return new Problem(ProblemKind.Invalid, reasons[0], field) { Errors = errors };
    }

    public static Problem Unavailable(string detail) => new(ProblemKind.Unavailable, detail);

    /// <summary>Every refused field with its reasons, when more than one was checked; null for a single field's refusal.</summary>
    public IReadOnlyDictionary<string, string[]>? Errors { get; init; }

    public static Problem Conflict(string detail) => new(ProblemKind.Conflict, detail);

    public static Problem NotFound(string detail) => new(ProblemKind.NotFound, detail);

    public static Problem Forbidden(string detail) => new(ProblemKind.Forbidden, detail);

    public override string ToString() => Field is null ? $"{Kind}: {Detail}" : $"{Kind} {Field}: {Detail}";
}
