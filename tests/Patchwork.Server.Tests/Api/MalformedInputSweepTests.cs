using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Npgsql;
using Patchwork.Server.Demo;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.Api;

/// <summary>
/// Every client endpoint that takes input, sent every kind of broken request a buggy or hostile caller might send, by a
/// practitioner who could otherwise act: each is a 4xx problem, never a 5xx, and the client's record is left exactly as
/// it was (not one event appended).
/// </summary>
public sealed partial class MalformedInputSweepTests(ApiServer server) : IClassFixture<ApiServer>
{
    // Endpoint, and its route as the host maps it ({clientId} is the client; any other parameter the involvement, or an id
    // that names nothing), and whether it reads a JSON body. The route coverage test reads these routes.
    internal static readonly (string Name, string Route, bool HasBody)[] Endpoints =
    [
        ("register-client", "POST /api/v1/clients", true),
        ("record-involvement", "POST /api/v1/clients/{clientId}/involvements", true),
        ("end-involvement", "POST /api/v1/clients/{clientId}/involvements/{involvementId}/end", true),
        ("change-involvement", "PATCH /api/v1/clients/{clientId}/involvements/{involvementId}", true),
        ("record-consent", "POST /api/v1/clients/{clientId}/consents", true),
        ("withdraw-consent", "POST /api/v1/clients/{clientId}/consents/{consentId}/withdraw", false),
        ("record-objection", "POST /api/v1/clients/{clientId}/objections", true),
        ("withdraw-objection", "POST /api/v1/clients/{clientId}/objections/{objectionId}/withdraw", false),
        ("request-sharing-without-consent", "POST /api/v1/clients/{clientId}/sharing-without-consent", true),
        ("approve-sharing-without-consent", "POST /api/v1/clients/{clientId}/sharing-without-consent/{basisId}/approve", false),
        ("break-glass", "POST /api/v1/clients/{clientId}/break-glass", true),
        ("raise-attention", "POST /api/v1/clients/{clientId}/attention", false),
        ("request-contact", "POST /api/v1/clients/{clientId}/contact-requests", true),
        ("answer-contact-request", "POST /api/v1/clients/{clientId}/contact-requests/{requestId}/answer", true),
        ("team", "GET /api/v1/clients/{clientId}/team", false),
        ("who-viewed", "GET /api/v1/clients/{clientId}/audit", false),
        ("export", "GET /api/v1/clients/{clientId}/export", false),
        ("start-thread", "POST /api/v1/clients/{clientId}/threads", true),
        ("list-threads", "GET /api/v1/clients/{clientId}/threads", false),
        ("read-thread", "GET /api/v1/clients/{clientId}/threads/{threadId}", false),
        ("mark-thread-read", "POST /api/v1/clients/{clientId}/threads/{threadId}/read", false),
        ("post-message", "POST /api/v1/clients/{clientId}/threads/{threadId}/messages", true),
        ("withdraw-message", "POST /api/v1/clients/{clientId}/threads/{threadId}/messages/{messageId}/withdraw", false),
    ];

    /// <summary>Every field any endpoint reads, each with a value of the wrong JSON type.</summary>
    private const string WrongTypes = """
        {"givenNames": 1, "familyName": [], "dateOfBirth": 17, "nhsNumber": 9434765919, "candidatesSeen": "yes", "role": 5, "service": {},
         "category": 3, "start": true, "end": 12, "contact": "01632 960000", "undisclosed": "no", "onBehalfOf": "someone",
         "scope": 3, "categories": "all", "givenBy": 1, "evidence": [], "expiresAt": "tomorrow", "lawfulBasis": 4, "justification": 7,
         "durationMinutes": "an hour", "handle": 1, "answer": 9, "involvementId": "x",
         "participants": "everyone", "message": 5, "body": []}
        """;

    public static TheoryData<string> Names() => [.. Endpoints.Select(e => e.Name)];

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Every_broken_request_is_a_4xx_problem_and_changes_nothing(string name)
    {
        var endpoint = Endpoints.Single(e => e.Name == name);
        var client = await server.GivenNewClientAsync("Sweep" + Guid.NewGuid().ToString("N")[..8]);
        var worker = await server.AsAsync(DemoPartnership.SocialWorker);
        var recorded = await worker.PostAsJsonAsync($"/api/v1/clients/{client.Value}/involvements", new
        {
            role = "allocated social worker", category = "general", start = "2026-01-05", contact = new { phone = "01632 960001" },
        });
        recorded.StatusCode.ShouldBe(HttpStatusCode.Created);
        var involvement = (await recorded.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("involvementId").GetGuid().ToString();
        var before = await EventsAsync(client.Value);

        var cases = new List<(string What, HttpRequestMessage Request)>();
        var method = endpoint.Route[..endpoint.Route.IndexOf(' ', StringComparison.Ordinal)];
        var route = endpoint.Route[(method.Length + 1)..];
        string PathWith(string clientId, string id) => OtherParameter().Replace(route.Replace("{clientId}", clientId, StringComparison.Ordinal), id);
        var path = PathWith(client.Value.ToString(), involvement);
        HttpRequestMessage Request(string target, HttpContent? content = null) => new(new HttpMethod(method), target) { Content = content };

        if (route.Contains("{clientId}", StringComparison.Ordinal))
        {
            cases.Add(("a client id that is not a uuid", Request(PathWith("not-a-uuid", involvement), Json("{}"))));
            cases.Add(("an unknown client", Request(PathWith(Guid.NewGuid().ToString(), involvement), Json("{}"))));
        }
        if (OtherParameter().IsMatch(route))
        {
            cases.Add(("a second id that is not a uuid", Request(PathWith(client.Value.ToString(), "12345"), Json("{}"))));
            cases.Add(("an unknown second id", Request(PathWith(client.Value.ToString(), Guid.NewGuid().ToString()), Json("{}"))));
        }
        if (endpoint.HasBody)
        {
            cases.Add(("truncated JSON", Request(path, Json("{\"role\": \"x\", "))));
            cases.Add(("an array instead of an object", Request(path, Json("[1, 2, 3]"))));
            cases.Add(("every field of the wrong type", Request(path, Json(WrongTypes))));
            cases.Add(("JSON sent as text/plain", Request(path, new StringContent("{}", Encoding.UTF8, "text/plain"))));
            cases.Add(("a 70 KB body", Request(path, Json("{\"role\": \"" + new string('a', 70_000) + "\"}"))));
            cases.Add(("no body at all", Request(path)));
            cases.Add(("null", Request(path, Json("null"))));
        }

        var wrong = new List<string>();
        foreach (var (what, request) in cases)
        {
            using var response = await worker.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            var status = (int)response.StatusCode;
            // The router itself may answer a wrong content type (415) or an id that is not a uuid; every other case must
            // reach the route the list names.
            if (!what.EndsWith("is not a uuid", StringComparison.Ordinal) && !what.EndsWith("text/plain", StringComparison.Ordinal))
                wrong.AddRange(MatrixTable.RouteDifferences(what, endpoint.Route, response));
            if (status is < 400 or >= 500) wrong.Add($"{what}: {status} {body}");
            else if (response.Content.Headers.ContentType?.MediaType != "application/problem+json") wrong.Add($"{what}: {status} without a problem document: {body}");
        }
        wrong.ShouldBeEmpty(string.Join(Environment.NewLine, wrong));
        (await EventsAsync(client.Value)).ShouldBe(before, "nothing already stored changes");
    }

    [GeneratedRegex(@"\{(?!clientId\})[^}]+\}")]
    private static partial Regex OtherParameter();

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private async Task<long> EventsAsync(Guid client)
    {
        await using var connection = new NpgsqlConnection(LocalServers.PostgresOwner);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM \"{server.Schema}\".mt_events WHERE stream_id = $1", connection)
        {
            Parameters = { new() { Value = client } },
        };
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
