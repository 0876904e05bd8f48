using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Patchwork.Core;
using Patchwork.Server.Demo;
using Patchwork.Testing;
using static Patchwork.Server.Tests.Api.AuthorizationMatrixTests;

namespace Patchwork.Server.Tests.Api;

/// <summary>
/// Every page of the web app × the same callers as <see cref="AuthorizationMatrixTests"/>, through the real sign-in
/// (password, second factor, session cookie; the antiforgery token on every form post), against literal tables written
/// from DESIGN.md §3 and what each page is for — not computed by calling the policy. The pages are doors of their own: the
/// API's matrices prove the decisions, these prove that no page shows or does more than its caller may.
///
/// An answer is one of: <c>page</c> — 200, the page (or, after a post, the form again with the refusal's reason, or a
/// partner system's credentials shown once); <c>done</c> — a redirect to what the act led to; <c>back</c> — a redirect to
/// the client page saying it could not be done; <c>404</c> — the page every unknown address gets, naming nothing of the
/// client; <c>in</c> — a redirect to sign in (no session: anonymous, or a partner system's bearer token, which no page
/// takes). A post's <c>done</c> (and a partner system's shown credentials) must have written something; every other answer
/// must have written nothing: no event, no invitation, no change to any partner system.
///
/// The client is the API matrix's (<see cref="AuthorizationMatrixTests.World"/>): Ellie's team and consents, an objection,
/// a request to share without consent awaiting a manager, the school's contact request to the sexual health nurse, and a
/// thread the police officer started with the school.
/// </summary>
public sealed class PageDoorsMatrixTests(SignedInApiServer server) : IClassFixture<SignedInApiServer>
{
    // Reads. The home page, notifications, finding and registering, recording an involvement and break-glass are every
    // signed-in practitioner's (the last two are how someone who found the client joins or reaches it; the forms show
    // nothing of the client). The client page and its threads show what the policy lets the caller see, so the refuge's
    // staff get 404. Tasks on one's own involvement (consent, objection, attention, sharing without consent) need an
    // active involvement; ending one is one's own; a request to share without consent shows to the team and to managers
    // (who approve it: the approval's own decision says which manager may), not to DPOs or administrators; who viewed
    // follows its API; the person's copy of a subject access export follows the export's (a DPO of an involved
    // organisation, a partnership admin), and its form asking the purpose is shown to anyone who prepares copies at all
    // (DPOs and partnership admins), the same for any client, naming none. Administration: the agreements to their readers
    // (DPOs and administrators), making and ending them to the partnership admin, invitations and partner systems to
    // organisation admins. Insight (issue 23): managers (the team manager, the police sergeant) read their organisation's
    // activity figures, DPOs their organisation's access figures, the partnership admin every organisation's.
    //                                                     Anon SW   TM   PO   SHN  Sgt  Ref  DPO  Adm  PtS  PtO  POA  UDPO NC
    private const string Reads = """
        GET    home                                         in  page page page page page page page page in   in   page page page
        GET    notifications                                in  page page page page page page page page in   in   page page page
        GET    find                                         in  page page page page page page page page in   in   page page page
        GET    register                                     in  page page page page page page page page in   in   page page page
        GET    client                                       in  page page page page page 404  page page in   in   page 404  page
        GET    record-involvement                           in  page page page page page page page page in   in   page page page
        GET    end-involvement                              in  page 404  404  404  404  404  404  404  in   in   404  404  404
        GET    record-consent                               in  page 404  page page 404  404  404  404  in   in   404  404  page
        GET    withdraw-consent                             in  page 404  page page 404  404  404  404  in   in   404  404  page
        GET    record-objection                             in  page 404  page page 404  404  404  404  in   in   404  404  page
        GET    request-sharing                              in  page 404  page page 404  404  404  404  in   in   404  404  page
        GET    approve-sharing                              in  page page page page page 404  404  404  in   in   404  404  page
        GET    raise-attention                              in  page 404  page page 404  404  404  404  in   in   404  404  page
        GET    break-glass                                  in  page page page page page page page page in   in   page page page
        GET    who-viewed                                   in  page 404  page page 404  404  page page in   in   404  404  page
        GET    subject-access                               in  404  404  404  404  404  404  page page in   in   404  404  404
        GET    subject-access-form                          in  404  404  404  404  404  404  page page in   in   404  page 404
        GET    threads                                      in  page page page page page 404  page page in   in   page 404  page
        GET    thread                                       in  404  404  page 404  404  404  404  404  in   in   404  404  404
        GET    admin                                        in  404  404  404  404  404  404  page page in   in   page page 404
        GET    agreements                                   in  404  404  404  404  404  404  page page in   in   page page 404
        GET    new-agreement                                in  404  404  404  404  404  404  404  page in   in   404  404  404
        GET    end-agreement                                in  404  404  404  404  404  404  404  page in   in   404  404  404
        GET    invite                                       in  404  404  404  404  404  404  404  page in   in   page 404  404
        GET    partner-systems                              in  404  404  404  404  404  404  404  page in   in   page 404  404
        GET    new-partner-system                           in  404  404  404  404  404  404  404  page in   in   page 404  404
        GET    revoke-partner-system                        in  404  404  404  404  404  404  404  page in   in   page 404  404
        GET    insight                                      in  404  page 404  404  page 404  page page in   in   404  page 404
        GET    break-glass-reviews                          in  404  404  404  404  404  404  page 404  in   in   404  page 404
        """;

    // Acts, each on a world of its own. A page's post calls the same slice as the API, so where the API answers 2xx the
    // page is done; where it refuses, the page answers 404 for anyone the client or the thing named does not exist for
    // (and for a task it offers only on one's own involvement), and otherwise the form again with the reason (a manager
    // not on the team who tries to record a consent is told why, as the API answers them 403). Differences
    // from the API's table: a refused contact answer goes back to the client page saying so; registering a partner system
    // shows its credentials on the post's own response (no redirect, so they are never in a URL).
    //                                                     Anon SW   TM   PO   SHN  Sgt  Ref  DPO  Adm  PtS  PtO  POA  UDPO NC
    private const string Acts = """
        POST   register                                     in  done done done done done done done done in   in   done done done
        POST   find                                         in  page page page page page page page page in   in   page page page
        POST   state-purpose                                in  done done done done done done done done in   in   done done done
        POST   record-involvement                           in  page done page page done done page page in   in   page page page
        POST   end-involvement                              in  done done 404  404  404  404  404  done in   in   done 404  404
        POST   record-consent                               in  done page done done page 404  page page in   in   page 404  done
        POST   withdraw-consent                             in  done done done done done 404  done done in   in   done 404  done
        POST   record-objection                             in  done done done done done 404  done done in   in   done 404  done
        POST   request-sharing                              in  done 404  done done 404  404  404  404  in   in   404  404  done
        POST   approve-sharing                              in  page done page page page 404  404  404  in   in   404  404  page
        POST   raise-attention                              in  done 404  done done 404  404  404  404  in   in   404  404  done
        POST   break-glass                                  in  done done done done done done done done in   in   done done done
        POST   request-contact                              in  done 404  done 404  404  404  404  404  in   in   404  404  done
        POST   answer-contact                               in  back back back done back 404  back back in   in   back 404  back
        POST   reply                                        in  404  404  done 404  404  404  404  404  in   in   404  404  404
        POST   invite                                       in  404  404  404  404  404  404  404  done in   in   done 404  404
        POST   new-agreement                                in  404  404  404  404  404  404  404  done in   in   404  404  404
        POST   end-agreement                                in  404  404  404  404  404  404  404  done in   in   404  404  404
        POST   new-partner-system                           in  404  404  404  404  404  404  404  page in   in   page 404  404
        POST   revoke-partner-system                        in  404  404  404  404  404  404  404  done in   in   done 404  404
        POST   review-break-glass                           in  404  404  404  404  404  404  done 404  in   in   404  404  404
        """;

    /// <summary>The route each row reaches, as the host maps it (checked on every cell's response; read by the route coverage test).</summary>
    internal static readonly Dictionary<string, string> Routes = new()
    {
        ["home"] = "ANY /",
        ["notifications"] = "ANY /notifications",
        ["find"] = "ANY /clients/find",
        ["register"] = "ANY /clients/new",
        ["client"] = "ANY /clients/{client:guid}",
        ["state-purpose"] = "ANY /clients/{client:guid}",
        ["request-contact"] = "ANY /clients/{client:guid}",
        ["answer-contact"] = "ANY /clients/{client:guid}",
        ["record-involvement"] = "ANY /clients/{client:guid}/involvements/new",
        ["end-involvement"] = "ANY /clients/{client:guid}/involvements/{involvement:guid}/end",
        ["record-consent"] = "ANY /clients/{client:guid}/consents/new",
        ["withdraw-consent"] = "ANY /clients/{client:guid}/consents/{consent:guid}/withdraw",
        ["record-objection"] = "ANY /clients/{client:guid}/objections/new",
        ["request-sharing"] = "ANY /clients/{client:guid}/sharing-without-consent/new",
        ["approve-sharing"] = "ANY /clients/{client:guid}/sharing-without-consent/{basis:guid}/approve",
        ["raise-attention"] = "ANY /clients/{client:guid}/attention",
        ["break-glass"] = "ANY /clients/{client:guid}/break-glass",
        ["who-viewed"] = "ANY /clients/{client:guid}/who-viewed",
        ["subject-access"] = "ANY /clients/{client:guid}/subject-access",
        ["subject-access-form"] = "ANY /clients/{client:guid}/subject-access",
        ["threads"] = "ANY /clients/{client:guid}/threads",
        ["thread"] = "ANY /clients/{client:guid}/threads/{thread:guid}",
        ["reply"] = "ANY /clients/{client:guid}/threads/{thread:guid}",
        ["admin"] = "ANY /admin",
        ["agreements"] = "ANY /admin/agreements",
        ["new-agreement"] = "ANY /admin/agreements/new",
        ["end-agreement"] = "ANY /admin/agreements/{agreement:guid}/end",
        ["invite"] = "ANY /admin/invite",
        ["partner-systems"] = "ANY /admin/partner-systems",
        ["new-partner-system"] = "ANY /admin/partner-systems/new",
        ["revoke-partner-system"] = "ANY /admin/partner-systems/{system:guid}/revoke",
        ["insight"] = "ANY /insight",
        ["break-glass-reviews"] = "ANY /break-glass/reviews",
        ["review-break-glass"] = "ANY /break-glass/reviews",
    };

    /// <summary>The acts whose success is a search or a stated purpose: they write nothing either way.</summary>
    private static readonly HashSet<string> WriteNothing = ["find", "state-purpose"];

    private static readonly SemaphoreSlim Shared = new(1, 1);
    private static readonly Dictionary<string, Place> Places = [];

    public static TheoryData<string> ReadRows() => [.. Table(Reads).Keys];

    public static TheoryData<string> ActRows() => [.. Table(Acts).Keys];

    [Theory]
    [MemberData(nameof(ReadRows))]
    public async Task Every_caller_sees_a_page_exactly_as_the_reads_table_says(string row)
    {
        var expected = Table(Reads)[row];
        foreach (var caller in Enum.GetValues<Caller>()) await ClientAsync(caller);
        var place = await SharedPlaceAsync();
        var wrong = new List<string>();
        foreach (var caller in Enum.GetValues<Caller>())
        {
            using var response = await (await ClientAsync(caller)).GetAsync(place.Path(row));
            wrong.AddRange(await DifferencesAsync(caller, row, expected[(int)caller], response, place, written: false));
        }
        wrong.ShouldBeEmpty(string.Join(Environment.NewLine, wrong));
    }

    [Theory]
    [MemberData(nameof(ActRows))]
    public async Task Every_caller_acts_through_a_page_exactly_as_the_acts_table_says(string row)
    {
        var expected = Table(Acts)[row];
        foreach (var caller in Enum.GetValues<Caller>()) await ClientAsync(caller);
        var wrong = new List<string>();
        foreach (var caller in Enum.GetValues<Caller>())
        {
            var place = await PlaceAsync(row);
            var http = await ClientAsync(caller);
            var form = await FormAsync(row, caller, place);
            var before = await WrittenAsync();
            using var response = await http.PostAsync(place.Path(row) + Handler(row), new FormUrlEncodedContent(Fields(form)));
            var written = await WrittenAsync() != before;
            wrong.AddRange(await DifferencesAsync(caller, row, expected[(int)caller], response, place, written));
        }
        wrong.ShouldBeEmpty(string.Join(Environment.NewLine, wrong));
    }

    /// <summary>The positive control: a form posted without its antiforgery token is refused and writes nothing.</summary>
    [Fact]
    public async Task A_form_posted_without_its_antiforgery_token_is_refused_and_writes_nothing()
    {
        var place = await PlaceAsync("raise-attention");
        var worker = await server.AsAsync(DemoPartnership.SocialWorker);
        var before = await WrittenAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, place.Path("raise-attention")) { Content = new FormUrlEncodedContent([]) };
        request.Options.Set(SignedInPractitioners.WithoutAntiforgery, true);
        using var forged = await worker.SendAsync(request);
        forged.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await WrittenAsync()).ShouldBe(before);

        // The same post with its token is done: the refusal above was the missing token, not the act.
        using var real = await worker.PostAsync(place.Path("raise-attention"), new FormUrlEncodedContent([]));
        real.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await WrittenAsync()).ShouldNotBe(before);
    }

    private async Task<IEnumerable<string>> DifferencesAsync(Caller caller, string row, string expected, HttpResponseMessage response, Place place, bool written)
    {
        var wrong = new List<string>();
        var body = await response.Content.ReadAsStringAsync();
        var got = Answer(response, place);
        if (got != expected) wrong.Add($"{row} as {caller}: expected {expected}, got {got} ({(int)response.StatusCode} {response.Headers.Location})");
        // What the matched-route header shows is the page the cell reached (a challenge never reaches one).
        if (got != "in") wrong.AddRange(MatrixTable.RouteDifferences($"{row} as {caller}", Routes[row], response));
        var writes = response.RequestMessage!.Method == HttpMethod.Post && (got == "done" || (got == "page" && row == "new-partner-system")) && !WriteNothing.Contains(row);
        if (written != writes) wrong.Add($"{row} as {caller}: answered {got}, yet {(written ? "something was" : "nothing was")} written");
        if (got is "404" or "in" && body.Contains(place.FamilyName, StringComparison.Ordinal))
            wrong.Add($"{row} as {caller}: answered {got} naming the client");
        return wrong;
    }

    /// <summary>The answer as the tables name it.</summary>
    private static string Answer(HttpResponseMessage response, Place place)
    {
        var location = response.Headers.Location?.OriginalString ?? "";
        return response.StatusCode switch
        {
            HttpStatusCode.OK => "page",
            HttpStatusCode.NotFound => "404",
            HttpStatusCode.Redirect when location.StartsWith("/sign-in", StringComparison.Ordinal) || location.Contains("/sign-in?", StringComparison.Ordinal) => "in",
            HttpStatusCode.Redirect when location.Contains("contact-not-answered", StringComparison.Ordinal)
                || location.Contains("contact-already-requested", StringComparison.Ordinal)
                || location == $"/clients/{place.Client}" && response.RequestMessage!.RequestUri!.AbsolutePath.EndsWith("/withdraw", StringComparison.Ordinal) => "back",
            HttpStatusCode.Redirect => "done",
            var other => ((int)other).ToString(CultureInfo.InvariantCulture),
        };
    }

    private static string Handler(string row) => row switch
    {
        "state-purpose" => "?handler=Purpose",
        "request-contact" => "?handler=RequestContact",
        "answer-contact" => "?handler=AnswerContact",
        _ => "",
    };

    /// <summary>What a practitioner filling in the row's form would send; valid, so a refusal is the door's and not the form's.</summary>
    private async Task<Dictionary<string, string>> FormAsync(string row, Caller caller, Place place)
    {
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        Dictionary<string, string> Date(string id, DateOnly date) => new()
        {
            [id + "-day"] = date.Day.ToString(CultureInfo.InvariantCulture), [id + "-month"] = date.Month.ToString(CultureInfo.InvariantCulture),
            [id + "-year"] = date.Year.ToString(CultureInfo.InvariantCulture),
        };
        return row switch
        {
            "register" => new(Date("dateOfBirth", new DateOnly(2012, 1, 1)))
            {
                ["givenNames"] = "Page", ["familyName"] = "Registered" + Guid.NewGuid().ToString("N")[..8], ["candidatesSeen"] = "true",
            },
            "find" => new(Date("dateOfBirth", new DateOnly(2011, 4, 17))) { ["purpose"] = "other", ["otherPurpose"] = "page matrix", ["familyName"] = place.FamilyName },
            "state-purpose" => new() { ["purpose"] = "safeguarding" },
            "record-involvement" => new(Date("start", today.AddDays(-1))) { ["role"] = "joining", ["category"] = "general", ["phone"] = "01632 960997" },
            "record-consent" => new()
            {
                ["shareWith"] = "sector:Health", ["categories"] = "general", ["givenBy"] = "PersonWithParentalResponsibility", ["evidence"] = "Written",
                ["evidenceReference"] = "form 12",
            },
            "record-objection" => new() { ["shareWith"] = "sector:Housing" },
            "request-sharing" => new() { ["lawfulBasis"] = "SafeguardingChild", ["justification"] = "risk of significant harm", ["months"] = "1", ["step"] = "send" },
            "break-glass" => new() { ["justification"] = "child missing overnight", ["minutes"] = "60" },
            // A use by Social Care's social worker, fresh for each caller: only Social Care's DPO reviews it.
            "review-break-glass" => new() { ["client"] = place.Client.ToString(), ["grant"] = (await BrokenGlassAsync(place)).ToString(), ["finding"] = "justified" },
            // A caller's own handle for the masked entry it sees; without one, the officer's (as the API matrix tries).
            "request-contact" => new() { ["handle"] = await OwnHandleAsync(await ClientAsync(caller), $"/api/v1/clients/{place.Client}") ?? place.World.OfficersMaskedHandle },
            "answer-contact" => new() { ["request"] = place.World.ContactRequest.ToString(), ["answer"] = "Accepted" },
            "reply" => new() { ["Reply"] = "Yes, Thursday works." },
            "invite" => new() { ["name"] = "Invited By " + caller, ["email"] = $"page.{Guid.NewGuid():N}@example.org" },
            "new-agreement" => new(Date("start", today))
            {
                ["name"] = "Made on a page by " + caller, ["members"] = $"{DemoPartnership.SocialCare.Id.Value},{DemoPartnership.Health.Id.Value}", ["categories"] = "general",
            },
            "new-partner-system" => new() { ["name"] = "Case system of " + caller, ["scopes"] = "partner.read", ["authentication"] = "secret" },
            _ => [],
        };
    }

    /// <summary>The form as the browser sends it: a field holding "a,b" (two organisations) is the field twice.</summary>
    private static IEnumerable<KeyValuePair<string, string>> Fields(Dictionary<string, string> form) =>
        form.SelectMany(field => field.Key == "members" ? field.Value.Split(",").Select(value => KeyValuePair.Create(field.Key, value)) : [field]);

    /// <summary>How much is written: events on every stream, invitations, registered identities, messages, and partner systems with their state.</summary>
    private async Task<string> WrittenAsync()
    {
        await using var connection = new NpgsqlConnection(LocalServers.PostgresOwner);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"""
             SELECT (SELECT count(*) FROM "{server.Schema}".mt_events)::text || '/' ||
                    (SELECT count(*) FROM "{server.Schema}".identity_invitation)::text || '/' ||
                    (SELECT count(*) FROM "{server.Schema}".client_identity)::text || '/' ||
                    (SELECT count(*) FROM "{server.Schema}".thread_messages)::text || '/' ||
                    (SELECT coalesce(md5(string_agg(a::text, '|' ORDER BY a.id)), '') FROM "{server.Schema}".openiddict_application a)
             """, connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private async Task<HttpClient> ClientAsync(Caller caller)
    {
        if (caller == Caller.Anonymous) return server.AnonymousWithoutRedirects();
        var http = await ClientForAsync(server, caller);
        if (caller is not (Caller.PartnerSame or Caller.PartnerOther)) return http;
        // A partner system's bearer token, on a client that shows the page's redirect rather than following it.
        var partner = server.AnonymousWithoutRedirects();
        partner.DefaultRequestHeaders.Authorization = http.DefaultRequestHeaders.Authorization;
        return partner;
    }

    private async Task<Place> SharedPlaceAsync()
    {
        await Shared.WaitAsync();
        try
        {
            if (!Places.TryGetValue(server.Schema, out var place)) Places[server.Schema] = place = await PlaceAsync("every read");
            return place;
        }
        finally
        {
            Shared.Release();
        }
    }

    /// <summary>
    /// The API matrix's client, a thread the officer started with the school, and (for the rows that end them) an agreement and
    /// a partner system: only there, as the pages list an organisation's first 200 partner systems.
    /// </summary>
    private async Task<Place> PlaceAsync(string row)
    {
        var world = await World.CreateAsync(server);
        var officer = await server.AsAsync(DemoPartnership.PoliceOfficer);
        var thread = await IdAsync(await officer.PostAsJsonAsync($"/api/v1/clients/{world.Client}/threads", new
        {
            participants = new[] { DemoPartnership.Teacher.Id.Value }, message = "Can we talk about the strategy meeting?",
        }), "threadId");
        if (row is not ("every read" or "end-agreement" or "revoke-partner-system")) return new Place(world, thread, Guid.Empty, Guid.Empty);
        var admin = await server.AsAsync(DemoPartnership.PartnershipAdmin);
        var agreement = await IdAsync(await admin.PostAsJsonAsync("/api/v1/agreements", new
        {
            name = "To be ended", members = new[] { DemoPartnership.SocialCare.Id.Value, DemoPartnership.Health.Id.Value },
            categories = new { includesGeneral = true, named = Array.Empty<string>() }, start = DateOnly.FromDateTime(DateTime.UtcNow), end = (DateOnly?)null,
        }), "agreementId");
        using var registered = await admin.PostAsJsonAsync($"/api/v1/organisations/{DemoPartnership.SocialCare.Id.Value}/partner-systems",
            new { displayName = "To be revoked", scopes = new[] { "partner.read" }, clientSecret = true });
        var body = await registered.Content.ReadAsStringAsync();
        registered.StatusCode.ShouldBe(HttpStatusCode.Created, body);
        var system = JsonDocument.Parse(body).RootElement.GetProperty("partnerSystem").GetProperty("partnerSystemId").GetGuid();
        return new Place(world, thread, agreement, system);
    }

    /// <summary>Social Care's social worker breaks glass on the place's client; the grant's id.</summary>
    private async Task<Guid> BrokenGlassAsync(Place place) =>
        await IdAsync(await (await server.AsAsync(DemoPartnership.SocialWorker)).PostAsJsonAsync($"/api/v1/clients/{place.Client}/break-glass",
            new { justification = "page matrix emergency" }), "grantId");

    private static async Task<Guid> IdAsync(HttpResponseMessage response, string property)
    {
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.Created, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty(property).GetGuid();
    }

    /// <summary>Each row "METHOD name answer answer ..." as the name and its answers, in the column order of <see cref="Caller"/>.</summary>
    private static Dictionary<string, string[]> Table(string table) =>
        table.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToDictionary(cells => cells[1], cells => cells[2..].Length == Enum.GetValues<Caller>().Length ? cells[2..]
                : throw new InvalidOperationException($"{cells[1]}: {cells.Length - 2} answers for {Enum.GetValues<Caller>().Length} callers"));

    /// <summary>Where each row goes in one world.</summary>
    private sealed record Place(World World, Guid Thread, Guid Agreement, Guid PartnerSystem)
    {
        public Guid Client => World.Client;

        public string FamilyName => World.FamilyName;

        public string Path(string row)
        {
            var c = $"/clients/{Client}";
            return row switch
            {
                "home" => "/",
                "notifications" => "/notifications",
                "find" => "/clients/find",
                "register" => "/clients/new",
                "client" => $"{c}?purpose={ReadPurposeCasework}",
                "state-purpose" or "request-contact" or "answer-contact" => c,
                "record-involvement" => $"{c}/involvements/new",
                "end-involvement" => $"{c}/involvements/{World.Involvements["SocialWorker"]}/end",
                "record-consent" => $"{c}/consents/new",
                "withdraw-consent" => $"{c}/consents/{World.PoliceConsent}/withdraw",
                "record-objection" => $"{c}/objections/new",
                "request-sharing" => $"{c}/sharing-without-consent/new",
                "approve-sharing" => $"{c}/sharing-without-consent/{World.SharingBasis}/approve",
                "raise-attention" => $"{c}/attention",
                "break-glass" => $"{c}/break-glass",
                "who-viewed" => $"{c}/who-viewed",
                "subject-access" => $"{c}/subject-access?purpose=page%20matrix",
                "subject-access-form" => $"{c}/subject-access",
                "threads" => $"{c}/threads",
                "thread" or "reply" => $"{c}/threads/{Thread}",
                "admin" => "/admin",
                "agreements" => "/admin/agreements",
                "new-agreement" => "/admin/agreements/new",
                "end-agreement" => $"/admin/agreements/{Agreement}/end",
                "invite" => "/admin/invite",
                "partner-systems" => "/admin/partner-systems",
                "new-partner-system" => "/admin/partner-systems/new",
                "revoke-partner-system" => $"/admin/partner-systems/{PartnerSystem}/revoke",
                "insight" => "/insight?basis=financial&purpose=Planning%20services",
                "break-glass-reviews" or "review-break-glass" => "/break-glass/reviews",
                _ => throw new ArgumentOutOfRangeException(nameof(row), row, "no such row"),
            };
        }

        /// <summary>The purpose a "my clients" link carries.</summary>
        private const string ReadPurposeCasework = "casework";
    }
}
