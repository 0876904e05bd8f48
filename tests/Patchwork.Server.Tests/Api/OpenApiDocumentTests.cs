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

    private async Task<JsonElement> DocumentAsync() => await server.Anonymous().GetFromJsonAsync<JsonElement>("/openapi/v1.json");

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
