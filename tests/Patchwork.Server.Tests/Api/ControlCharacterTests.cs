using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Patchwork.Server.Demo;

namespace Patchwork.Server.Tests.Api;

/// <summary>
/// Issue 19: every free-text field a write endpoint stores refuses control characters (NUL, BEL, ESC, DEL) with a problem
/// naming the field; line breaks are accepted only where text is multi-line (messages, justifications, erasure reasons).
/// </summary>
public sealed class ControlCharacterTests(ApiServer server) : IClassFixture<ApiServer>
{
    private const string Marker = "@@";

    /// <summary>A write endpoint, the field the problem names, whether it is multi-line, and how to send it with the text in place of the marker.</summary>
    private sealed record Row(string Endpoint, string Field, bool MultiLine, DemoPartnership.Staff Caller, string Method, string Path, string Body);

    private static string Today => DateOnly.FromDateTime(DateTime.UtcNow.AddDays(-1)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static IEnumerable<Row> Rows() =>
    [
        new("register-client", "givenNames", false, DemoPartnership.SocialWorker, "POST", "/api/v1/clients",
            """{"givenNames":"@@","familyName":"Control","dateOfBirth":"2012-05-06","candidatesSeen":true}"""),
        new("register-client", "familyName", false, DemoPartnership.SocialWorker, "POST", "/api/v1/clients",
            """{"givenNames":"Test","familyName":"@@","dateOfBirth":"2012-05-06","candidatesSeen":true}"""),
        new("register-client", "localReference", false, DemoPartnership.SocialWorker, "POST", "/api/v1/clients",
            """{"givenNames":"Test","familyName":"Control","dateOfBirth":"2012-05-06","localReference":"@@","candidatesSeen":true}"""),
        new("record-involvement", "role", false, DemoPartnership.PoliceOfficer, "POST", "{client}/involvements",
            $$$"""{"role":"@@","category":"general","start":"{{{Today}}}","contact":{"phone":"01632 960999"}}"""),
        new("record-involvement", "service", false, DemoPartnership.PoliceOfficer, "POST", "{client}/involvements",
            $$$"""{"role":"officer","service":"@@","category":"general","start":"{{{Today}}}","contact":{"phone":"01632 960999"}}"""),
        new("record-involvement", "contact", false, DemoPartnership.PoliceOfficer, "POST", "{client}/involvements",
            $$$"""{"role":"officer","category":"general","start":"{{{Today}}}","contact":{"phone":"@@"}}"""),
        new("record-involvement", "contact", false, DemoPartnership.PoliceOfficer, "POST", "{client}/involvements",
            $$$"""{"role":"officer","category":"general","start":"{{{Today}}}","contact":{"email":"x@@@example.org"}}"""),
        new("change-involvement", "role", false, DemoPartnership.SocialWorker, "PATCH", "{client}/involvements/{involvement}", """{"role":"@@"}"""),
        new("change-involvement", "contact", false, DemoPartnership.SocialWorker, "PATCH", "{client}/involvements/{involvement}", """{"contact":{"phone":"@@"}}"""),
        new("record-consent", "evidence", false, DemoPartnership.SocialWorker, "POST", "{client}/consents",
            """{"scope":{"sector":"health"},"categories":{"includesGeneral":true,"named":[]},"givenBy":"client","evidence":{"kind":"written","reference":"@@"}}"""),
        new("request-sharing-without-consent", "justification", true, DemoPartnership.SocialWorker, "POST", "{client}/sharing-without-consent",
            $$"""{"lawfulBasis":"safeguardingChild","justification":"@@","expiresAt":"{{DateTimeOffset.UtcNow.AddDays(7):O}}"}"""),
        new("break-glass", "justification", true, DemoPartnership.SocialWorker, "POST", "{client}/break-glass", """{"justification":"@@","durationMinutes":60}"""),
        new("start-thread", "message", true, DemoPartnership.PoliceOfficer, "POST", "{ellie}/threads",
            $$"""{"participants":["{{DemoPartnership.Teacher.Id.Value}}"],"message":"@@"}"""),
        new("post-message", "body", true, DemoPartnership.PoliceOfficer, "POST", "{ellie}/threads/{thread}/messages", """{"body":"@@"}"""),
        new("erase", "reason", true, DemoPartnership.PartnershipAdmin, "POST", "{bare}/erasure", """{"reason":"@@"}"""),
        new("make-agreement", "name", false, DemoPartnership.PartnershipAdmin, "POST", "/api/v1/agreements",
            $$"""{"name":"@@","members":["{{DemoPartnership.SocialCare.Id.Value}}","{{DemoPartnership.Health.Id.Value}}"],"categories":{"includesGeneral":true,"named":[]},"start":"{{DateOnly.FromDateTime(DateTime.UtcNow):yyyy-MM-dd}}"}"""),
        new("search", "purpose", false, DemoPartnership.SocialWorker, "GET", "/api/v1/clients?nhsNumber=9434765919&purpose=@@", ""),
        new("team", "purpose", false, DemoPartnership.SocialWorker, "GET", "{ellie}/team?purpose=@@", ""),
    ];

    public static TheoryData<string, string> Fields()
    {
        var fields = new TheoryData<string, string>();
        foreach (var (endpoint, field) in Rows().Select(row => (row.Endpoint, row.Field)).Distinct()) fields.Add(endpoint, field);
        return fields;
    }

    [Theory]
    [MemberData(nameof(Fields))]
    public async Task Control_characters_are_refused_naming_the_field_and_line_breaks_only_where_text_is_multi_line(string endpoint, string field)
    {
        foreach (var row in Rows().Where(r => r.Endpoint == endpoint && r.Field == field))
        {
            foreach (var bad in new[] { "\u0000", "\u0007", "\u001b", "\u007f" })
            {
                using var refused = await SendAsync(row, "a" + bad + "b");
                await ShouldNameAsync(refused, row, $"U+{(int)bad[0]:X4}");
            }
            using var lineBreak = await SendAsync(row, "first line\nsecond line");
            if (row.MultiLine)
                ((int)lineBreak.StatusCode).ShouldBeInRange(200, 299, $"{row.Endpoint} {row.Field} is multi-line: {await lineBreak.Content.ReadAsStringAsync()}");
            else
                await ShouldNameAsync(lineBreak, row, "a line break");
        }
    }

    private static async Task ShouldNameAsync(HttpResponseMessage response, Row row, string what)
    {
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, $"{row.Endpoint} {row.Field} with {what}: {body}");
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
        JsonDocument.Parse(body).RootElement.GetProperty("errors").EnumerateObject().Select(e => e.Name)
            .ShouldContain(name => name.StartsWith(row.Field, StringComparison.Ordinal), $"{row.Endpoint} with {what} names {row.Field}: {body}");
    }

    private async Task<HttpResponseMessage> SendAsync(Row row, string text)
    {
        var path = row.Path;
        if (path.Contains("{client}", StringComparison.Ordinal) || path.Contains("{bare}", StringComparison.Ordinal))
        {
            var client = await server.GivenNewClientAsync("Control" + Guid.NewGuid().ToString("N")[..8]);
            var clientPath = $"/api/v1/clients/{client.Value}";
            if (path.Contains("{client}", StringComparison.Ordinal))
            {
                var recorded = await server.As(DemoPartnership.SocialWorker).PostAsJsonAsync(clientPath + "/involvements", new
                {
                    role = "allocated social worker", category = "general", start = Today, contact = new { phone = "01632 960001" },
                });
                recorded.StatusCode.ShouldBe(HttpStatusCode.Created);
                var involvement = (await recorded.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("involvementId").GetGuid();
                path = path.Replace("{involvement}", involvement.ToString(), StringComparison.Ordinal);
            }
            path = path.Replace("{client}", clientPath, StringComparison.Ordinal).Replace("{bare}", clientPath, StringComparison.Ordinal);
        }
        var ellie = $"/api/v1/clients/{DemoPartnership.Ellie.Value}";
        if (path.Contains("{thread}", StringComparison.Ordinal))
        {
            // The officer and the school's lead see each other's involvement with Ellie (her consent covers the police and the school).
            var started = await server.As(DemoPartnership.PoliceOfficer).PostAsJsonAsync(ellie + "/threads", new
            {
                participants = new[] { DemoPartnership.Teacher.Id.Value }, message = "A thread to write in",
            });
            started.StatusCode.ShouldBe(HttpStatusCode.Created, await started.Content.ReadAsStringAsync());
            path = path.Replace("{thread}", (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("threadId").GetGuid().ToString(), StringComparison.Ordinal);
        }
        path = path.Replace("{ellie}", ellie, StringComparison.Ordinal);

        var http = server.As(row.Caller);
        if (row.Method == "GET") return await http.GetAsync(path.Replace(Marker, Uri.EscapeDataString(text), StringComparison.Ordinal));
        // The text goes in as a JSON string, escaped as JSON escapes it (\u0000, \u001b, \n…).
        var json = row.Body.Replace("\"" + Marker + "\"", JsonValue.Create(text).ToJsonString(), StringComparison.Ordinal);
        if (json.Contains(Marker, StringComparison.Ordinal))
            json = row.Body.Replace(Marker, JsonValue.Create(text).ToJsonString()[1..^1], StringComparison.Ordinal);
        return await http.SendAsync(new HttpRequestMessage(new HttpMethod(row.Method), path)
        {
            Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json"),
        });
    }
}
