using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Patchwork.Server.Tests.Fuzz;

/// <summary>Who sends a fuzzed request: a signed-in practitioner's session, a partner system's token, or no one.</summary>
public enum FuzzCaller
{
    Practitioner,
    Partner,
    Anonymous,
}

/// <summary>
/// One generated request, as plain data so that it prints, replays and shrinks: the operation it aims at, the caller, the
/// path with its parameters filled in, the query, extra headers, and the body as sent (text, or bytes that are not UTF-8).
/// </summary>
public sealed record FuzzRequest(ApiOperation Operation, FuzzCaller Caller, IReadOnlyList<string> PathValues,
                                 IReadOnlyList<KeyValuePair<string, string>> Query, IReadOnlyList<KeyValuePair<string, string>> Headers,
                                 string? ContentType, string? Body, bool BodyIsLatin1)
{
    public string Target
    {
        get
        {
            var path = Operation.Path;
            var names = PathParameterNames(Operation);
            for (var i = 0; i < names.Count; i++)
                path = path.Replace("{" + names[i] + "}", Uri.EscapeDataString(PathValues[i]), StringComparison.Ordinal);
            return Query.Count == 0 ? path : path + "?" + string.Join('&', Query.Select(q => Uri.EscapeDataString(q.Key) + "=" + Uri.EscapeDataString(q.Value)));
        }
    }

    public static List<string> PathParameterNames(ApiOperation operation) =>
        [.. operation.Parameters.Where(p => p.In == Microsoft.OpenApi.ParameterLocation.Path).Select(p => p.Name!)];

    public HttpRequestMessage ToMessage()
    {
        var message = new HttpRequestMessage(new HttpMethod(Operation.Method), new Uri(Target, UriKind.Relative));
        if (Body is not null)
        {
            var content = new ByteArrayContent(BodyIsLatin1 ? Encoding.Latin1.GetBytes(Body) : Encoding.UTF8.GetBytes(Body));
            if (ContentType is not null) content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
            message.Content = content;
        }
        foreach (var (name, value) in Headers) message.Headers.TryAddWithoutValidation(name, value);
        return message;
    }

    /// <summary>Method, target, caller, headers and body: enough to send it again by hand. A long body is cut, its length kept.</summary>
    public override string ToString()
    {
        var text = new StringBuilder().Append(Operation.Method).Append(' ').Append(Target).Append("   (as ").Append(Caller).Append(')');
        foreach (var (name, value) in Headers) text.Append("\n  ").Append(name).Append(": ").Append(Cut(value));
        if (ContentType is not null) text.Append("\n  Content-Type: ").Append(ContentType);
        if (Body is not null) text.Append("\n  body (").Append(Body.Length).Append(" chars").Append(BodyIsLatin1 ? ", Latin-1 bytes" : "").Append("): ").Append(Cut(Body));
        return text.ToString();
    }

    private static string Cut(string value) => value.Length <= 400 ? value : value[..400] + "…";

    /// <summary>
    /// Smaller requests that may fail the same way, simplest first, for FsCheck to shrink with: without a header, without a
    /// query parameter, without the body, with a body of one property fewer or a shorter value, with shorter path values.
    /// </summary>
    public IEnumerable<FuzzRequest> Smaller()
    {
        for (var i = 0; i < Headers.Count; i++) yield return this with { Headers = [.. Headers.Where((_, j) => j != i)] };
        for (var i = 0; i < Query.Count; i++) yield return this with { Query = [.. Query.Where((_, j) => j != i)] };
        if (Body is not null)
        {
            yield return this with { Body = null, ContentType = null };
            if (Body.Length > 1) yield return this with { Body = Body[..(Body.Length / 2)] };
            if (Parsed(Body) is JsonObject body)
                foreach (var (name, value) in body.ToList())
                {
                    var without = (JsonObject)body.DeepClone();
                    without.Remove(name);
                    yield return this with { Body = without.ToJsonString() };
                    if (value is JsonValue scalar && scalar.TryGetValue(out string? text) && text.Length > 1)
                    {
                        var shorter = (JsonObject)body.DeepClone();
                        shorter[name] = text[..(text.Length / 2)];
                        yield return this with { Body = shorter.ToJsonString() };
                    }
                }
        }
        for (var i = 0; i < PathValues.Count; i++)
            if (PathValues[i].Length > 1)
            {
                var values = PathValues.ToArray();
                values[i] = values[i][..(values[i].Length / 2)];
                yield return this with { PathValues = values };
            }
    }

    private static JsonNode? Parsed(string body)
    {
        try
        {
            return JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
