using System.Net.Http.Json;
using System.Text.Json;
using Patchwork.Server.Demo;
using Patchwork.Server.Tests.Api;

namespace Patchwork.Server.Tests.Threads;

/// <summary>
/// Every messaging endpoint × every kind of caller, against a table written out below from DESIGN.md §3 and issue 8 (a
/// participant must see the starter's involvement; 404 where the thread's existence is not theirs to learn; threads are
/// for practitioners) — not computed by asking the policy. Each cell runs against a fresh <see cref="ThreadWorld"/>: the
/// social worker's thread with the police officer and the designated safeguarding lead. Practitioners sign in for real
/// (<see cref="SignedInThreadsServer"/>: password, second factor, session cookie, antiforgery on changes).
/// </summary>
public sealed class ThreadAuthorizationMatrixTests(SignedInThreadsServer server) : IClassFixture<SignedInThreadsServer>
{
    public enum Caller
    {
        Anonymous,          // no credentials
        SocialWorker,       // started the thread
        TeamManager,        // Social Care, not on the team: sees the social worker's involvement (own organisation), not a participant
        PoliceOfficer,      // a participant, another organisation, consent toward the police sector
        SexualHealthNurse,  // on the team, no consent toward Health: not a participant and could not be one
        PoliceSergeant,     // Police, not on the team: sees only the officer's involvement
        RefugeWorker,       // sees nothing of the client
        Dpo,                // Social Care's data protection officer, no involvement
        OrganisationAdmin,  // Social Care's partnership administrator, no involvement
        PartnerSame,        // a partner system of Social Care, every scope
        PartnerOther,       // a partner system of the refuge, every scope
    }

    // 401 no credentials; 403 a partner system (threads are for practitioners), the caller may see the client but may not
    // do this (no involvement to start from; withdrawing someone else's message); 404 the thread (or client) does not exist
    // for the caller; 400 a participant chosen who cannot see the starter. Starting names the designated safeguarding lead.
    //                         Anon  SW   TM   PO   SHN  Sgt  Ref  DPO  Adm  PtS  PtO
    private const string Table = """
        POST   start            401  201  403  201  400  403  404  403  403  403  403
        GET    list             401  200  200  200  200  200  404  200  200  403  403
        GET    read             401  200  404  200  404  404  404  404  404  403  403
        POST   mark-read        401  200  404  200  404  404  404  404  404  403  403
        POST   post             401  201  404  201  404  404  404  404  404  403  403
        POST   withdraw         401  200  404  403  404  404  404  404  404  403  403
        """;

    /// <summary>The route each row reaches (checked on every cell's response; read by the route coverage test).</summary>
    internal static readonly Dictionary<string, string> Routes = new()
    {
        ["start"] = "POST /api/v1/clients/{clientId}/threads",
        ["list"] = "GET /api/v1/clients/{clientId}/threads",
        ["read"] = "GET /api/v1/clients/{clientId}/threads/{threadId}",
        ["mark-read"] = "POST /api/v1/clients/{clientId}/threads/{threadId}/read",
        ["post"] = "POST /api/v1/clients/{clientId}/threads/{threadId}/messages",
        ["withdraw"] = "POST /api/v1/clients/{clientId}/threads/{threadId}/messages/{messageId}/withdraw",
    };

    // How many threads each caller's list shows: only the one they are in, and only while they may read it.
    private static readonly Dictionary<Caller, int> Listed = new()
    {
        [Caller.SocialWorker] = 1, [Caller.TeamManager] = 0, [Caller.PoliceOfficer] = 1, [Caller.SexualHealthNurse] = 0,
        [Caller.PoliceSergeant] = 0, [Caller.Dpo] = 0, [Caller.OrganisationAdmin] = 0,
    };

    private static readonly Dictionary<Caller, DemoPartnership.Staff> Staff = new()
    {
        [Caller.SocialWorker] = DemoPartnership.SocialWorker,
        [Caller.TeamManager] = DemoPartnership.TeamManager,
        [Caller.PoliceOfficer] = DemoPartnership.PoliceOfficer,
        [Caller.SexualHealthNurse] = DemoPartnership.SexualHealthNurse,
        [Caller.PoliceSergeant] = DemoPartnership.PoliceSergeant,
        [Caller.RefugeWorker] = DemoPartnership.RefugeWorker,
        [Caller.Dpo] = DemoPartnership.SocialCareDpo,
        [Caller.OrganisationAdmin] = DemoPartnership.PartnershipAdmin,
    };

    public static TheoryData<string> Endpoints() => [.. Rows().Keys];

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Every_caller_gets_exactly_the_answer_the_table_gives(string endpoint)
    {
        var expected = Rows()[endpoint];
        var wrong = new List<string>();
        // Everyone signs in before the first cell, so no sign-in falls inside a cell's audit count.
        foreach (var caller in Enum.GetValues<Caller>()) await ClientFor(caller);
        foreach (var caller in Enum.GetValues<Caller>())
        {
            var world = await ThreadWorld.CreateAsync(server);
            var audited = await server.AuditCountAsync();
            using var response = await SendAsync(endpoint, caller, world);
            var status = (int)response.StatusCode;
            var body = await response.Content.ReadAsStringAsync();
            wrong.AddRange(MatrixTable.RouteDifferences(caller.ToString(), Routes[endpoint], response));
            var entries = await server.AuditCountAsync() - audited;
            if (entries != (caller == Caller.Anonymous ? 0 : 1)) wrong.Add($"{caller}: {entries} audit entries for {status}");
            else if (entries == 1) wrong.AddRange(MatrixTable.AuditDifferences(caller.ToString(), status, await MatrixTable.NewestAuditAsync(server.Schema)));
            if (status != expected[(int)caller])
            {
                wrong.Add($"{caller}: expected {expected[(int)caller]}, got {status} {body}");
                continue;
            }
            if (status >= 400 && status != 401)
                response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json", $"{endpoint} as {caller}: {body}");
            if (endpoint == "list" && status == 200)
            {
                var shown = JsonDocument.Parse(body).RootElement.GetProperty("threads").GetArrayLength();
                if (shown != Listed[caller]) wrong.Add($"{caller}: list shows {shown} threads, expected {Listed[caller]}");
            }
            if (endpoint == "read" && status == 200 && !body.Contains("Ellie was not at school today", StringComparison.Ordinal))
                wrong.Add($"{caller}: the thread read back without its first message: {body}");
        }
        // A wrong 2xx is a leak; a wrong 4xx a wrongful denial. Both must be zero.
        wrong.ShouldBeEmpty(string.Join(Environment.NewLine, wrong));
    }

    private async Task<HttpResponseMessage> SendAsync(string endpoint, Caller caller, ThreadWorld world)
    {
        var http = await ClientFor(caller);
        return endpoint switch
        {
            "start" => await http.PostAsJsonAsync($"{world.Path}/threads", new { participants = new[] { DemoPartnership.Teacher.Id.Value }, message = "Can we talk?" }),
            "list" => await http.GetAsync($"{world.Path}/threads"),
            "read" => await http.GetAsync(world.ThreadPath),
            "mark-read" => await http.PostAsync($"{world.ThreadPath}/read", null),
            "post" => await http.PostAsJsonAsync($"{world.ThreadPath}/messages", new { body = "I saw her on Tuesday." }),
            "withdraw" => await http.PostAsync($"{world.ThreadPath}/messages/{world.FirstMessage}/withdraw", null),
            _ => throw new ArgumentOutOfRangeException(nameof(endpoint), endpoint, "not in the table"),
        };
    }

    private async Task<HttpClient> ClientFor(Caller caller)
    {
        if (Staff.TryGetValue(caller, out var staff)) return await server.AsAsync(staff);
        if (caller == Caller.Anonymous) return server.Anonymous();
        return await MatrixTable.PartnerAsync(server, sameOrganisation: caller == Caller.PartnerSame);
    }

    private static Dictionary<string, int[]> Rows() => MatrixTable.Rows(Table);
}
