using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace Patchwork.Server.Tests.Fuzz;

/// <summary>One operation of the served document: what the fuzzer may send to it.</summary>
public sealed record ApiOperation(string Method, string Path, IReadOnlyList<IOpenApiParameter> Parameters, IOpenApiSchema? Body,
                                  IReadOnlyList<string> BodyMediaTypes)
{
    public string Name => $"{Method} {Path}";
}

/// <summary>
/// The API's own published description (<c>/openapi/v1.json</c>), read with Microsoft.OpenApi for the operations and their
/// inputs, and its response schemas compiled with JsonSchema.Net (OpenAPI 3.1 schemas are JSON Schema 2020-12) so every
/// answer is checked against what the document promises for its status and media type.
/// </summary>
public sealed class ApiContract
{
    private readonly JsonObject _raw;
    private readonly JsonObject _definitions;
    private readonly ConcurrentDictionary<string, JsonSchema> _compiled = new(StringComparer.Ordinal);
    private int _built;

    private ApiContract(OpenApiDocument document, JsonObject raw)
    {
        _raw = raw;
        var components = raw["components"]?["schemas"]?.DeepClone().AsObject() ?? [];
        _definitions = (JsonObject)Rewritten(components);
        Operations = [.. document.Paths.SelectMany(path => (path.Value.Operations ?? []).Select(operation => new ApiOperation(
            operation.Key.Method.ToUpperInvariant(), path.Key,
            [.. (path.Value.Parameters ?? []).Concat(operation.Value.Parameters ?? [])],
            BodySchema(operation.Value.RequestBody),
            [.. operation.Value.RequestBody?.Content?.Keys ?? []])))
            .OrderBy(o => o.Path, StringComparer.Ordinal).ThenBy(o => o.Method, StringComparer.Ordinal)];
    }

    public IReadOnlyList<ApiOperation> Operations { get; }

    public static async Task<ApiContract> ReadAsync(HttpClient anonymous)
    {
        ArgumentNullException.ThrowIfNull(anonymous);
        var text = await anonymous.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative));
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text));
        var read = OpenApiDocument.Load(stream, "json", new OpenApiReaderSettings());
        var errors = read.Diagnostic?.Errors ?? [];
        if (read.Document is null || errors.Count > 0)
            throw new InvalidOperationException("The served OpenAPI document does not read: " + string.Join("; ", errors.Select(e => e.Message)));
        return new ApiContract(read.Document, JsonNode.Parse(text)!.AsObject());
    }

    private static IOpenApiSchema? BodySchema(IOpenApiRequestBody? body) =>
        body?.Content is { Count: > 0 } content ? content.Values.First().Schema : null;

    /// <summary>
    /// Where the answer breaks the document, in words; null when it keeps it. The status must be documented (exactly, as
    /// a range like 4XX, or as default); a body must be of a media type documented for that status and valid against its
    /// schema; a documented body must be there.
    /// </summary>
    public string? Breach(ApiOperation operation, int status, string? mediaType, string body)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var responses = _raw["paths"]?[operation.Path]?[operation.Method.ToLowerInvariant()]?["responses"]?.AsObject();
        var key = new[] { status.ToString(System.Globalization.CultureInfo.InvariantCulture), $"{status / 100}XX", "default" }
            .FirstOrDefault(k => responses?.ContainsKey(k) == true);
        if (key is null) return $"status {status} is not in the document (documented: {string.Join(", ", responses?.Select(r => r.Key) ?? [])})";
        var content = responses![key]!["content"]?.AsObject();
        if (body.Length == 0)
            return content is { Count: > 0 } ? $"status {status} documents a body ({string.Join(", ", content.Select(c => c.Key))}) and none came" : null;
        if (content is null || mediaType is null || !content.ContainsKey(mediaType))
            return $"status {status} came with a {mediaType ?? "untyped"} body; the document has {(content is null ? "no body" : string.Join(", ", content.Select(c => c.Key)))}";
        if (content[mediaType]?["schema"] is not { } schemaNode) return null;
        JsonElement instance;
        try
        {
            instance = JsonDocument.Parse(body).RootElement;
        }
        catch (JsonException e)
        {
            return $"status {status} {mediaType} body is not JSON: {e.Message}";
        }
        var schema = _compiled.GetOrAdd($"{operation.Name} {key} {mediaType}", _ => Compile(schemaNode));
        var result = schema.Evaluate(instance, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (result.IsValid) return null;
        var errors = (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")).Distinct().Take(5);
        return $"status {status} body breaks the schema: {string.Join("; ", errors)}";
    }

    private JsonSchema Compile(JsonNode schemaNode)
    {
        var root = (JsonObject)Rewritten(schemaNode.DeepClone());
        root["$defs"] = _definitions.DeepClone();
        var id = Interlocked.Increment(ref _built);
        return JsonSchema.Build(JsonSerializer.SerializeToElement(root), new BuildOptions { SchemaRegistry = new SchemaRegistry() },
            new Uri($"https://patchwork.invalid/openapi/v1/response/{id}"));
    }

    /// <summary>The document's <c>#/components/schemas/X</c> references, pointed at the compiled schema's <c>$defs</c>.</summary>
    private static JsonNode Rewritten(JsonNode node) =>
        JsonNode.Parse(node.ToJsonString().Replace("\"#/components/schemas/", "\"#/$defs/", StringComparison.Ordinal))!;
}
