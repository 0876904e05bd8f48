using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Patchwork.Server.Demo;

namespace Patchwork.Server.Tests.Api;

/// <summary>
/// What issue 26's fuzz suite (tests/Patchwork.Server.Tests/Fuzz) found, each pinned by its shrunk request: a 500 where the
/// caller's mistake deserves a 4xx problem naming it, and answers the OpenAPI document did not describe.
/// </summary>
public sealed class FuzzFindingsTests(SignedInApiServer server) : IClassFixture<SignedInApiServer>
{
    [Fact]
    public async Task Json_in_a_charset_that_is_no_encoding_is_a_415_problem_naming_the_content_type_not_a_500()
    {
        var worker = await server.AsAsync(DemoPartnership.SocialWorker);
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes("{"));
        content.Headers.TryAddWithoutValidation("Content-Type", "application/json; charset=nonsense");
        using var response = await worker.PostAsync($"/api/v1/clients/{DemoPartnership.Ellie.Value}/break-glass", content);

        response.StatusCode.ShouldBe(HttpStatusCode.UnsupportedMediaType);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
        (await response.Content.ReadAsStringAsync()).ShouldContain("Content-Type");
    }

    [Fact]
    public async Task A_multipart_form_without_a_boundary_at_sign_out_is_a_400_problem_naming_the_form_not_a_500()
    {
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes("{"));
        content.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data");
        using var response = await server.Anonymous().PostAsync("/account/sign-out", content);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
        (await response.Content.ReadAsStringAsync()).ShouldContain("form");
    }

    [Fact]
    public async Task A_problem_is_json_even_when_the_caller_asks_for_xml()
    {
        var worker = await server.AsAsync(DemoPartnership.SocialWorker);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/organisations/not-a-uuid/invitations");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/xml"));
        using var response = await worker.SendAsync(request);

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
    }

    [Fact]
    public async Task A_partner_endpoint_refusing_a_caller_without_a_token_answers_a_problem_as_the_document_says()
    {
        using var response = await server.Anonymous().GetAsync("/api/v1/partner/whoami");

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
    }
}
