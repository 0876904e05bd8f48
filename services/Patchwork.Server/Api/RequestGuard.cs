using System.Text.RegularExpressions;

namespace Patchwork.Server.Api;

/// <summary>
/// Holds API and sign-in bodies to a small size and turns every binding failure (bad JSON, wrong types, unparseable ids, an
/// unreadable form, an unknown charset) into a 4xx problem naming the field, so malformed input never reaches a handler and
/// never becomes a 5xx.
/// </summary>
internal sealed partial class RequestGuard(RequestDelegate next)
{
    /// <summary>Commands carry a few short fields; 64 KB is generous and keeps a flood of bytes out of memory.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    public async Task InvokeAsync(HttpContext context)
    {
        if (UnknownCharset(context.Request.ContentType) is { } charset)
        {
            // The JSON reader would throw on it inside binding (issue 26's fuzz found the 500): refused here, by name.
            await TypedResults.Problem($"Content-Type: the charset '{charset}' is not a known encoding; send JSON in UTF-8",
                statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported Media Type").ExecuteAsync(context);
            return;
        }
        if (context.Request.ContentLength > MaxBodyBytes)
        {
            await TooLarge().ExecuteAsync(context);
            return;
        }
        if (context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            // Buffered whole so the size is enforced without trusting Content-Length, and so idempotency can hash it.
            var buffer = new MemoryStream();
            var chunk = new byte[8192];
            int read;
            while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
            {
                if (buffer.Length + read > MaxBodyBytes)
                {
                    await TooLarge().ExecuteAsync(context);
                    return;
                }
                buffer.Write(chunk, 0, read);
            }
            buffer.Position = 0;
            context.Request.Body = buffer;
        }

        try
        {
            await next(context);
        }
        catch (BadHttpRequestException failure) when (!context.Response.HasStarted)
        {
            context.Response.Clear();
            var result = failure.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? TooLarge()
                : ApiProblems.Invalid(FieldOf(failure), failure.InnerException is System.Text.Json.JsonException
                    ? "is not valid here: check the JSON syntax and the value's type"
                    : "is missing or not in the expected form");
            await result.ExecuteAsync(context);
        }
        catch (Microsoft.AspNetCore.Antiforgery.AntiforgeryValidationException failure) when (!context.Response.HasStarted && failure.InnerException is not null)
        {
            // A form the framework cannot parse (multipart without a boundary) fails inside the antiforgery check: the
            // caller's mistake, a 400 naming it — issue 26's fuzz found it answered 500.
            context.Response.Clear();
            await ApiProblems.Invalid("form", "cannot be read: " + failure.InnerException.Message).ExecuteAsync(context);
        }
    }

    private static string? UnknownCharset(string? contentType)
    {
        if (!Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var parsed) || parsed.Charset is not { Length: > 0 } charset)
            return null;
        try
        {
            _ = System.Text.Encoding.GetEncoding(charset.ToString().Trim('"'));
            return null;
        }
        catch (ArgumentException)
        {
            return charset.ToString();
        }
    }

    private static string FieldOf(BadHttpRequestException failure)
    {
        var field = ApiProblems.FieldOf(failure);
        return field == "body" && ParameterName().Match(failure.Message) is { Success: true } match ? match.Groups[1].Value : field;
    }

    private static IResult TooLarge() => TypedResults.Problem($"the request body is larger than {MaxBodyBytes / 1024} KB",
        statusCode: StatusCodes.Status413PayloadTooLarge, title: "Content too large");

    [GeneratedRegex(@"parameter ""[^""\s]+ (\w+)""")]
    private static partial Regex ParameterName();
}
