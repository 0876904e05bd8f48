namespace Patchwork.Server.Api;

/// <summary>
/// The API speaks JSON only: a problem is written as <c>application/problem+json</c> whatever the caller's Accept header
/// asks for. The framework's writer declines an Accept of XML or HTML, and the status code pages then fall back to plain
/// text, which the OpenAPI document does not describe (issue 26's fuzz found it). Registered after the framework's
/// writer, so it only answers what that one declines, and only under <c>/api/v1</c> and <c>/account</c>.
/// </summary>
internal sealed class ApiProblemWriter : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var path = context.HttpContext.Request.Path;
        return path.StartsWithSegments(ApiExtensions.Prefix) || path.StartsWithSegments("/account");
    }

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new ValueTask(context.HttpContext.Response.WriteAsJsonAsync(context.ProblemDetails, typeof(Microsoft.AspNetCore.Mvc.ProblemDetails),
            options: null, contentType: "application/problem+json"));
    }
}
