using System.Net.Http.Json;
using System.Text.Json;
using Patchwork.Server.Demo;
using Patchwork.Server.Tests.Api;
using Patchwork.Testing;
using static Patchwork.Server.Tests.Threads.ThreadAuthorizationMatrixTests;

namespace Patchwork.Server.Tests.Threads;

/// <summary>
/// The messaging notices × every kind of caller: who is told, through their notice list (what the live feed pushes and a
/// browser resynchronises from), of a message posted or withdrawn in the social worker's thread with the police officer
/// and the designated safeguarding lead. The table is written out below from issue 8 (participants other than the author,
/// while they may read the thread; nobody else, however much else of the client they see) — not computed by asking the
/// policy. Practitioners sign in for real (<see cref="SignedInThreadsServer"/>); partner systems use their tokens.
/// </summary>
public sealed class ThreadNoticeMatrixTests(SignedInThreadsServer server) : IClassFixture<SignedInThreadsServer>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    // A number under 100 is how many notices of the row's kind about the thread the caller's list gains; 401 and 403 are the
    // notice list's own answer (no credentials; a partner system, as notices are for practitioners).
    //                              Anon  SW   TM   PO   SHN  Sgt  Ref  DPO  Adm  PtS  PtO
    private const string Table = """
        notice  first-message       401  0    0    1    0    0    0    0    0    403  403
        notice  officers-reply      401  1    0    0    0    0    0    0    0    403  403
        notice  withdrawn           401  0    0    1    0    0    0    0    0    403  403
        """;

    /// <summary>The route every cell reads (checked on the refused callers' responses; read by the route coverage test).</summary>
    internal static readonly Dictionary<string, string> Routes = new() { ["notices"] = "GET /api/v1/notices" };

    public static TheoryData<string> Rows() => [.. MatrixTable.Rows(Table).Keys];

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Every_caller_is_told_exactly_what_the_table_gives(string row)
    {
        var expected = MatrixTable.Rows(Table)[row];
        var kind = row == "withdrawn" ? "thread-message-withdrawn" : "thread-message";
        // The thread's first message is the first row's act; the others act on a thread that already has it.
        var world = await ThreadWorld.CreateAsync(server);
        var teacherBefore = 0;
        var before = new Dictionary<Caller, int>();
        if (row != "first-message")
        {
            // The first message's notices are all stored before anyone's count is taken.
            await WhenToldAsync(DemoPartnership.Teacher, world.Thread, "thread-message", atLeast: 1);
            teacherBefore = await CountAsync(DemoPartnership.Teacher, world.Thread, kind);
            foreach (var caller in Enum.GetValues<Caller>())
                if (StaffOf(caller) is { } staff) before[caller] = await CountAsync(staff, world.Thread, kind);
        }

        await ActAsync(row, world);

        // The designated safeguarding lead, a participant in every row and never the author, is told of every act. A page's
        // notices are stored together, so once theirs is there every notice of that act is.
        await WhenToldAsync(DemoPartnership.Teacher, world.Thread, kind, atLeast: teacherBefore + 1);
        var wrong = new List<string>();
        foreach (var caller in Enum.GetValues<Caller>())
        {
            var want = expected[(int)caller];
            if (StaffOf(caller) is not { } staff)
            {
                using var response = await ListAsync(caller);
                wrong.AddRange(MatrixTable.RouteDifferences(caller.ToString(), Routes["notices"], response));
                if ((int)response.StatusCode != want) wrong.Add($"{caller}: expected {want}, got {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                continue;
            }
            var gained = await CountAsync(staff, world.Thread, kind) - before.GetValueOrDefault(caller);
            // More than the table gives is a leak; fewer, a wrongful silence. Both must be zero.
            if (gained != want) wrong.Add($"{caller}: told {gained} time(s), expected {want}");
        }
        wrong.ShouldBeEmpty(string.Join(Environment.NewLine, wrong));
    }

    private async Task ActAsync(string row, ThreadWorld world)
    {
        switch (row)
        {
            case "first-message":
                return;
            case "officers-reply":
                using (var reply = await (await server.AsAsync(DemoPartnership.PoliceOfficer)).PostAsJsonAsync($"{world.ThreadPath}/messages", new { body = "I saw her on Tuesday." }))
                    reply.IsSuccessStatusCode.ShouldBeTrue(await reply.Content.ReadAsStringAsync());
                return;
            case "withdrawn":
                using (var withdrawn = await (await server.AsAsync(DemoPartnership.SocialWorker)).PostAsync($"{world.ThreadPath}/messages/{world.FirstMessage}/withdraw", null))
                    withdrawn.IsSuccessStatusCode.ShouldBeTrue(await withdrawn.Content.ReadAsStringAsync());
                return;
            default:
                throw new ArgumentOutOfRangeException(nameof(row), row, "not in the table");
        }
    }

    private static DemoPartnership.Staff? StaffOf(Caller caller) => caller switch
    {
        Caller.SocialWorker => DemoPartnership.SocialWorker,
        Caller.TeamManager => DemoPartnership.TeamManager,
        Caller.PoliceOfficer => DemoPartnership.PoliceOfficer,
        Caller.SexualHealthNurse => DemoPartnership.SexualHealthNurse,
        Caller.PoliceSergeant => DemoPartnership.PoliceSergeant,
        Caller.RefugeWorker => DemoPartnership.RefugeWorker,
        Caller.Dpo => DemoPartnership.SocialCareDpo,
        Caller.OrganisationAdmin => DemoPartnership.PartnershipAdmin,
        _ => null,
    };

    private async Task<HttpResponseMessage> ListAsync(Caller caller)
    {
        var http = caller == Caller.Anonymous ? server.Anonymous() : await MatrixTable.PartnerAsync(server, sameOrganisation: caller == Caller.PartnerSame);
        return await http.GetAsync("/api/v1/notices?after=0&limit=200");
    }

    private async Task<int> WhenToldAsync(DemoPartnership.Staff staff, Guid thread, string kind, int atLeast)
    {
        var count = 0;
        await Eventually.Within(Deadline, async () => (count = await CountAsync(staff, thread, kind)) >= atLeast,
            $"{staff.Name} told {atLeast} time(s) of {kind}");
        return count;
    }

    /// <summary>The caller's whole notice list, page by page, counted for the row's kind about the thread.</summary>
    private async Task<int> CountAsync(DemoPartnership.Staff staff, Guid thread, string kind)
    {
        var (count, after) = (0, 0L);
        while (true)
        {
            var page = await (await server.AsAsync(staff)).GetFromJsonAsync<JsonElement>($"/api/v1/notices?after={after}&limit=200");
            var notices = page.GetProperty("notices").EnumerateArray().ToList();
            if (notices.Count == 0) return count;
            count += notices.Count(n => n.GetProperty("kind").GetString() == kind && n.GetProperty("subjectId").GetGuid() == thread);
            after = page.GetProperty("position").GetInt64();
        }
    }
}
