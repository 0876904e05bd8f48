using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Patchwork.Core;

namespace Patchwork.Server.Api;

/// <summary>
/// Domain refusals and request faults as RFC 9457 problem details, each naming its field where there is one. Each is a
/// concrete result — a <see cref="ValidationProblem"/> for a 400, a <see cref="ProblemHttpResult"/> for the rest — so an
/// endpoint's <c>Results&lt;…&gt;</c> says which it can answer.
/// </summary>
public static class ApiProblems
{
    /// <summary>
    /// A domain refusal as the answer of an endpoint that succeeds with <typeparamref name="TSuccess"/>: 400 naming the
    /// field (or every field refused), 403, 404, 409 or 503.
    /// </summary>
    public static Results<TSuccess, ValidationProblem, ProblemHttpResult> From<TSuccess>(Problem problem) where TSuccess : IResult
    {
        ArgumentNullException.ThrowIfNull(problem);
        return problem.Kind switch
        {
            ProblemKind.Invalid when problem.Errors is { } errors => TypedResults.ValidationProblem(errors),
            ProblemKind.Invalid => Invalid(problem.Field ?? "request", problem.Detail),
            ProblemKind.Unavailable => Unavailable(problem.Detail),
            ProblemKind.Conflict => TypedResults.Problem(problem.Detail, statusCode: StatusCodes.Status409Conflict, title: "Conflict"),
            ProblemKind.NotFound => NotFound(problem.Detail),
            ProblemKind.Forbidden => Forbidden(problem.Detail),
            _ => throw new ArgumentOutOfRangeException(nameof(problem), problem.Kind, "an unknown kind of problem"),
        };
    }

    public static ValidationProblem Invalid(string field, string reason) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [reason] }, detail: $"{field}: {reason}");

    public static ProblemHttpResult Forbidden(string detail) => TypedResults.Problem(detail, statusCode: StatusCodes.Status403Forbidden, title: "Forbidden");

    public static ProblemHttpResult NotFound(string detail) => TypedResults.Problem(detail, statusCode: StatusCodes.Status404NotFound, title: "Not found");

    public static ProblemHttpResult NoSuchClient() => NotFound("no such client");

    public const string StaleDetail = "the client's record has changed since the version in If-Match; read it again";

    public const string ConcurrentChangeDetail = "someone else changed the client's record at the same moment; read it again and retry";

    public static ProblemHttpResult Stale() => TypedResults.Problem(StaleDetail, statusCode: StatusCodes.Status412PreconditionFailed, title: "Precondition failed");

    public static ProblemHttpResult ConcurrentChange() => TypedResults.Problem(ConcurrentChangeDetail, statusCode: StatusCodes.Status409Conflict, title: "Conflict");

    public static ProblemHttpResult Unavailable(string detail) => TypedResults.Problem(detail, statusCode: StatusCodes.Status503ServiceUnavailable, title: "Unavailable");

    /// <summary>The JSON path of a binding failure as the field name a form would show: <c>$.contact.email</c> becomes <c>contact.email</c>.</summary>
    internal static string FieldOf(Exception failure)
    {
        for (var e = failure; e is not null; e = e.InnerException)
        {
            if (e is JsonException { Path: { Length: > 0 } path }) return path.TrimStart('$').TrimStart('.') is { Length: > 0 } field ? field : "body";
        }
        return "body";
    }
}
