using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Patchwork.Server.Demo;
using Patchwork.Server.Tests.Api;

namespace Patchwork.Server.Tests.Threads;

/// <summary>The API host with a clock a test can move forward (withdrawal's ten minutes), and verbs for thread worlds.</summary>
public class ThreadsServer : ApiServer
{
    public MovableClock Clock { get; } = new();

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<TimeProvider>(Clock);
}

/// <summary>The threads host whose practitioners sign in for real (password, second factor, session cookie): the messaging matrices run here.</summary>
public sealed class SignedInThreadsServer : ThreadsServer
{
    protected override bool SignsPractitionersIn => true;
}

/// <summary>The system clock plus an offset a test sets; never a sleep.</summary>
public sealed class MovableClock : TimeProvider
{
    public TimeSpan Offset { get; set; }

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset;
}

/// <summary>
/// A fresh client like the demo's Ellie, with consent toward social care as well, so the social worker, the police
/// officer and the designated safeguarding lead all see one another; the sexual health nurse (Health, no consent) sees
/// only her own involvement. The social worker starts a thread with the officer and the teacher.
/// </summary>
public sealed class ThreadWorld
{
    public required Guid Client { get; init; }
    public required Dictionary<string, Guid> Involvements { get; init; }
    public required Dictionary<string, Guid> Consents { get; init; }
    public required Guid Thread { get; init; }
    public required Guid FirstMessage { get; init; }

    public string Path => $"/api/v1/clients/{Client}";

    public string ThreadPath => $"{Path}/threads/{Thread}";

    public static readonly Dictionary<string, DemoPartnership.Staff> Team = new()
    {
        ["SocialWorker"] = DemoPartnership.SocialWorker,
        ["PoliceOfficer"] = DemoPartnership.PoliceOfficer,
        ["Teacher"] = DemoPartnership.Teacher,
        ["SexualHealthNurse"] = DemoPartnership.SexualHealthNurse,
    };

    public static async Task<ThreadWorld> CreateAsync(ApiServer server, string firstMessage = "Ellie was not at school today; is anyone seeing her this week?")
    {
        var socialWorker = await server.AsAsync(DemoPartnership.SocialWorker);
        var client = await IdAsync(await socialWorker.PostAsJsonAsync("/api/v1/clients", new
        {
            givenNames = "Ellie", familyName = "Thread" + Guid.NewGuid().ToString("N")[..10], dateOfBirth = "2011-04-17", candidatesSeen = true,
        }), "clientId");
        var c = $"/api/v1/clients/{client}";
        var involvements = new Dictionary<string, Guid>();
        foreach (var (name, category) in new[] { ("SocialWorker", "general"), ("PoliceOfficer", "general"), ("Teacher", "general"), ("SexualHealthNurse", "sexual health") })
            involvements[name] = await IdAsync(await (await server.AsAsync(Team[name])).PostAsJsonAsync($"{c}/involvements", new
            {
                role = name, category, start = DateOnly.FromDateTime(DateTime.UtcNow.AddDays(-2)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                contact = new { phone = "01632 960999" },
            }), "involvementId");
        var consents = new Dictionary<string, Guid>
        {
            ["police"] = await IdAsync(await socialWorker.PostAsJsonAsync($"{c}/consents", Consent(new { sector = "police" })), "id"),
            ["school"] = await IdAsync(await socialWorker.PostAsJsonAsync($"{c}/consents", Consent(new { organisationId = DemoPartnership.School.Id.Value })), "id"),
            ["socialCare"] = await IdAsync(await socialWorker.PostAsJsonAsync($"{c}/consents", Consent(new { sector = "socialCare" })), "id"),
        };
        using var started = await socialWorker.PostAsJsonAsync($"{c}/threads", new
        {
            participants = new[] { DemoPartnership.PoliceOfficer.Id.Value, DemoPartnership.Teacher.Id.Value }, message = firstMessage,
        });
        var body = await started.Content.ReadAsStringAsync();
        started.StatusCode.ShouldBe(HttpStatusCode.Created, body);
        var ids = JsonDocument.Parse(body).RootElement;
        return new ThreadWorld
        {
            Client = client, Involvements = involvements, Consents = consents,
            Thread = ids.GetProperty("threadId").GetGuid(), FirstMessage = ids.GetProperty("messageId").GetGuid(),
        };
    }

    public static object Consent(object scope) => new
    {
        scope, categories = new { includesGeneral = true, named = Array.Empty<string>() },
        givenBy = "personWithParentalResponsibility", evidence = new { kind = "written", reference = "form 12" },
    };

    public static async Task<Guid> IdAsync(HttpResponseMessage response, string property)
    {
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.Created, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty(property).GetGuid();
    }
}
