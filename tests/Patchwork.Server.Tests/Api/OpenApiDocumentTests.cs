using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Patchwork.Server.Demo;

namespace Patchwork.Server.Tests.Api;

/// <summary>Issue 19: a client generated from <c>/openapi/v1.json</c> works — it knows the /account endpoints, and it searches with the names the server binds.</summary>
public sealed class OpenApiDocumentTests(ApiServer server) : IClassFixture<ApiServer>
{
    [Fact]
    public async Task Every_account_endpoint_is_in_the_document_with_the_form_fields_it_reads()
    {
        var paths = (await DocumentAsync()).GetProperty("paths");
        var mapped = server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => "/" + e.RoutePattern.RawText!.TrimStart('/'))
            .Where(route => route.StartsWith("/account/", StringComparison.Ordinal))
            .Distinct().ToList();
        mapped.ShouldContain("/account/sign-in");
        var documented = paths.EnumerateObject().Select(p => p.Name).ToHashSet();
        mapped.Where(route => !documented.Contains(route)).ShouldBeEmpty("every /account endpoint is documented");

        var signIn = paths.GetProperty("/account/sign-in").GetProperty("post").GetProperty("requestBody").GetProperty("content");
        var form = signIn.GetProperty("application/x-www-form-urlencoded").GetProperty("schema");
        FormFields(form).ShouldBe(["email", "password"], ignoreOrder: true);
    }

    [Fact]
    public async Task Search_is_documented_with_the_camelCase_names_the_server_binds_and_works_when_called_with_them()
    {
        var search = (await DocumentAsync()).GetProperty("paths").GetProperty("/api/v1/clients").GetProperty("get");
        var names = search.GetProperty("parameters").EnumerateArray().Where(p => p.GetProperty("in").GetString() == "query")
            .Select(p => p.GetProperty("name").GetString()!).ToList();
        names.ShouldBe(["nhsNumber", "familyName", "dateOfBirth", "postcode", "localReference", "purpose", "after", "limit"], ignoreOrder: true);

        // What a generated client sends: exactly the documented names, nothing guessed.
        var values = new Dictionary<string, string> { ["familyName"] = "Marsh-Whitfield", ["dateOfBirth"] = "2011-04-17", ["purpose"] = "referral check" };
        var query = string.Join('&', names.Where(values.ContainsKey).Select(name => $"{name}={Uri.EscapeDataString(values[name])}"));
        var response = await server.As(DemoPartnership.RefugeWorker).GetAsync("/api/v1/clients?" + query);

        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("matches").EnumerateArray().Single()
            .GetProperty("clientId").GetGuid().ShouldBe(DemoPartnership.Ellie.Value);
    }

    /// <summary>
    /// Issue 21: each handler's typed answers are its documented responses — the success with its body, 400 as the
    /// validation problem that names the field, and the problems it can refuse with — so a generated client reads them.
    /// </summary>
    [Theory]
    [InlineData("post", "/api/v1/clients/{clientId}/involvements", 201, "InvolvementResponse", new[] { 400, 404, 409, 412, 503 })]
    [InlineData("get", "/api/v1/clients/{clientId}/team", 200, "TeamResponse", new[] { 304, 400, 404 })]
    [InlineData("get", "/api/v1/clients", 200, "ClientSearchResponse", new[] { 400, 429, 503 })]
    [InlineData("post", "/api/v1/agreements", 201, "AgreementView", new[] { 400, 403, 404, 409 })]
    [InlineData("post", "/api/v1/agreements/{agreementId}/end", 204, null, new[] { 400, 403, 404, 409 })]
    [InlineData("post", "/api/v1/clients/{clientId}/threads/{threadId}/messages", 201, "PostedMessageResponse", new[] { 400, 403, 404 })]
    [InlineData("get", "/api/v1/clients/{clientId}/audit", 200, "AuditPageResponse", new[] { 400, 404 })]
    [InlineData("post", "/api/v1/clients/{clientId}/erasure", 204, null, new[] { 400, 404, 409 })]
    [InlineData("get", "/api/v1/organisations/{organisation}/partner-systems", 200, "PartnerSystemView[]", new[] { 400, 403 })]
    public async Task A_converted_endpoint_documents_the_answers_its_handler_can_give(string method, string path, int success, string? body, int[] refusals)
    {
        var responses = (await DocumentAsync()).GetProperty("paths").GetProperty(path).GetProperty(method).GetProperty("responses");
        var statuses = responses.EnumerateObject().Select(r => int.Parse(r.Name, System.Globalization.CultureInfo.InvariantCulture)).ToList();

        statuses.Where(s => s is >= 200 and < 300).ShouldBe([success], "the one success the handler's type names");
        refusals.Where(s => !statuses.Contains(s)).ShouldBeEmpty($"{method} {path} documents every refusal it can give");
        var answer = responses.GetProperty(success.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (body is null) answer.TryGetProperty("content", out _).ShouldBeFalse("an answer with no body documents none");
        else SchemaName(answer.GetProperty("content").GetProperty("application/json").GetProperty("schema")).ShouldBe(body);
        SchemaName(responses.GetProperty("400").GetProperty("content").GetProperty("application/problem+json").GetProperty("schema"))
            .ShouldBe("HttpValidationProblemDetails", "a 400 names the field, as a validation problem");
        foreach (var refusal in refusals.Where(s => s != 304 && s != 400))
            SchemaName(responses.GetProperty(refusal.ToString(System.Globalization.CultureInfo.InvariantCulture)).GetProperty("content")
                .GetProperty("application/problem+json").GetProperty("schema")).ShouldBe("ProblemDetails");
    }

    [Fact]
    public async Task The_FHIR_export_documents_its_bundle_as_FHIR_JSON_and_the_exports_refusals()
    {
        var responses = (await DocumentAsync()).GetProperty("paths").GetProperty("/api/v1/clients/{clientId}/export.fhir").GetProperty("get").GetProperty("responses");

        responses.GetProperty("200").GetProperty("content").TryGetProperty("application/fhir+json", out _).ShouldBeTrue();
        SchemaName(responses.GetProperty("400").GetProperty("content").GetProperty("application/problem+json").GetProperty("schema")).ShouldBe("HttpValidationProblemDetails");
        responses.TryGetProperty("404", out _).ShouldBeTrue();
    }

    private async Task<JsonElement> DocumentAsync() => await server.Anonymous().GetFromJsonAsync<JsonElement>("/openapi/v1.json");

    /// <summary>A schema's component name (<c>TeamResponse</c>), or <c>Name[]</c> for an array of one.</summary>
    private static string SchemaName(JsonElement schema) =>
        schema.TryGetProperty("$ref", out var reference) ? reference.GetString()!.Split('/')[^1]
        : schema.TryGetProperty("items", out var items) ? SchemaName(items) + "[]"
        : schema.GetProperty("type").ToString();

    /// <summary>A form's field names, whether the document lists them as properties or as an allOf of one-field schemas.</summary>
    private static IEnumerable<string> FormFields(JsonElement schema)
    {
        if (schema.TryGetProperty("properties", out var properties))
            foreach (var property in properties.EnumerateObject()) yield return property.Name;
        if (schema.TryGetProperty("allOf", out var parts))
            foreach (var part in parts.EnumerateArray())
                foreach (var name in FormFields(part)) yield return name;
    }
}
