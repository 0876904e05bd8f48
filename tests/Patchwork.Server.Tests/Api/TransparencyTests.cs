using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Patchwork.Server.Demo;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.Api;

/// <summary>
/// DESIGN §3 rule 9: whoever starts to see an involvement because of someone's act is named to the practitioner now
/// seen — nobody joins a team and reads it unnoticed.
/// </summary>
public sealed class TransparencyTests(ApiServer server) : IClassFixture<ApiServer>
{
    [Fact]
    public async Task Whoever_is_newly_able_to_see_an_involvement_its_practitioner_is_told_who()
    {
        var client = await server.GivenNewClientAsync("Transparency" + Guid.NewGuid().ToString("N")[..8]);
        var c = $"/api/v1/clients/{client.Value}";
        var socialWorker = server.As(DemoPartnership.SocialWorker);
        var nurse = server.As(DemoPartnership.SexualHealthNurse);
        var officer = server.As(DemoPartnership.PoliceOfficer);
        (await socialWorker.PostAsJsonAsync($"{c}/involvements", Involvement("allocated social worker", "general"))).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await nurse.PostAsJsonAsync($"{c}/involvements", Involvement("sexual health nurse", "sexual health"))).StatusCode.ShouldBe(HttpStatusCode.Created);
        // The officer joins: their own involvement makes nobody visible to them yet (no consent toward the police).
        (await officer.PostAsJsonAsync($"{c}/involvements", Involvement("officer in the case", "general"))).StatusCode.ShouldBe(HttpStatusCode.Created);

        // The social worker records the client's consent to share general work with the police: the officer now sees the
        // social worker, who is told so, naming the officer.
        (await socialWorker.PostAsJsonAsync($"{c}/consents", Consent("general"))).StatusCode.ShouldBe(HttpStatusCode.Created);
        var toSocialWorker = await SeenByAsync(socialWorker, client.Value, count: 1);
        toSocialWorker.ShouldBe([DemoPartnership.PoliceOfficer.Id.Value]);

        // The nurse's service records the client's consent to share sexual health work with the police (rule 7: it is
        // theirs to record): now the nurse is told the officer can see them.
        var sensitive = await nurse.PostAsJsonAsync($"{c}/consents", Consent("general", "sexual health"));
        sensitive.StatusCode.ShouldBe(HttpStatusCode.Created, await sensitive.Content.ReadAsStringAsync());
        (await SeenByAsync(nurse, client.Value, count: 1)).ShouldBe([DemoPartnership.PoliceOfficer.Id.Value]);

        // The officer, who gained sight of others, is told nothing of the kind about themselves: nobody new sees them.
        (await NoticesAsync(officer, client.Value)).Where(n => n.Kind == "involvement-seen-by").ShouldBeEmpty();
        // And the social worker heard of the officer exactly once, not again when the nurse's consent changed nothing for them.
        (await SeenByAsync(socialWorker, client.Value, count: 1)).ShouldBe([DemoPartnership.PoliceOfficer.Id.Value]);
    }

    private static async Task<List<Guid>> SeenByAsync(HttpClient practitioner, Guid client, int count) =>
        (await Eventually.Within(TimeSpan.FromSeconds(60), () => NoticesAsync(practitioner, client),
            notices => notices.Count(n => n.Kind == "involvement-seen-by") >= count, "the feed relay's seen-by notices"))
        .Where(n => n.Kind == "involvement-seen-by").Select(n => n.Subject).ToList();

    private static async Task<List<(string Kind, Guid Subject)>> NoticesAsync(HttpClient practitioner, Guid client)
    {
        var page = await practitioner.GetFromJsonAsync<JsonElement>("/api/v1/notices?after=0&limit=200");
        return [.. page.GetProperty("notices").EnumerateArray()
            .Where(n => n.GetProperty("clientId").GetGuid() == client)
            .Select(n => (n.GetProperty("kind").GetString()!, n.GetProperty("subjectId").GetGuid()))];
    }

    private static object Involvement(string role, string category) => new
    {
        role, category, start = DateOnly.FromDateTime(DateTime.UtcNow.AddDays(-1)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        contact = new { phone = "01632 960555" },
    };

    private static object Consent(params string[] categories) => new
    {
        scope = new { sector = "police" },
        categories = new { includesGeneral = categories.Contains("general"), named = categories.Where(c => c != "general").ToArray() },
        givenBy = "client", evidence = new { kind = "verbal", reference = "asked in person" },
    };
}
