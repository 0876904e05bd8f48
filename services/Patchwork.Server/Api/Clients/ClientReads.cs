using System.Collections.Immutable;
using Microsoft.AspNetCore.Http.HttpResults;
using Patchwork.Core;
using Patchwork.Core.Access;
using Patchwork.Core.Clients;
using Patchwork.Server.Api.Audit;

namespace Patchwork.Server.Api.Clients;

/// <summary>One allowed team read: the client's state, the partnership and what the policy showed the caller at <paramref name="At"/>.</summary>
public sealed record TeamRead(ClientSharing Sharing, Partnership Partnership, TeamView Team, DateTimeOffset At);

/// <summary>Registering, finding and reading clients: each read goes through the policy and leaves one audit entry.</summary>
public sealed class ClientReads(ClientTeamReader reader, PolicyOptions policy, TimeProvider clock, RequestAudit audit, IServiceProvider services)
{
    public const int MaxPurposeLength = 500;

    public async Task<Results<Created<RegisteredClientResponse>, ValidationProblem, ProblemHttpResult>> RegisterAsync(HttpContext http, CurrentActor caller,
        RegisterClientRequest body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (services.GetService<ClientIdentityVault>() is null) return ApiProblems.Unavailable(NoVault);
        var references = body.LocalReference is { } reference ? new Dictionary<OrganisationId, string> { [caller.Organisation] = reference } : null;
        var registered = await RegisterAsync(http, caller, new NewIdentity(body.GivenNames, body.FamilyName, body.DateOfBirth, body.NhsNumber, body.Postcode, references,
            body.CandidatesSeen), cancellationToken);
        return registered.Problem switch
        {
            { Detail: LikelyMatchDetail } => LikelyMatch(),
            { } problem => ApiProblems.From<Created<RegisteredClientResponse>>(problem),
            null => TypedResults.Created($"/api/v1/clients/{registered.Value.Value}/team", new RegisteredClientResponse(registered.Value.Value)),
        };
    }

    public const string NoVault = "the identity vault is not configured";

    /// <summary>An identity to register, as any door reads it: the caller's organisation's local reference, if any, and whether the caller has seen the likely matches.</summary>
    public sealed record NewIdentity(string? GivenNames, string? FamilyName, DateOnly? DateOfBirth, string? NhsNumber, string? Postcode,
        IReadOnlyDictionary<OrganisationId, string>? References, bool CandidatesSeen);

    /// <summary>
    /// The one registration, for the API and the pages: the identity checked, stored in the vault unless it looks like
    /// someone already registered (then a conflict whose detail is <see cref="LikelyMatchDetail"/>, and nothing of who), and
    /// one audit entry. The caller checks the vault is configured.
    /// </summary>
    public async Task<Result<ClientId>> RegisterAsync(HttpContext http, CurrentActor caller, NewIdentity identity, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var vault = services.GetRequiredService<ClientIdentityVault>();
        var created = ClientIdentity.Create(identity.GivenNames, identity.FamilyName, identity.DateOfBirth, identity.NhsNumber, identity.Postcode,
            identity.References, Calendar.Today(clock.GetUtcNow()));
        if (created.Problem is { } invalid)
        {
            await audit.DeniedAsync(http, caller, "client.register", null, $"Invalid:{invalid.Field}");
            return invalid;
        }

        var client = ClientId.New();
        var registered = await vault.RegisterAsync(client, created.Value, identity.CandidatesSeen, cancellationToken);
        if (registered.Problem is { } problem)
        {
            await audit.DeniedAsync(http, caller, "client.register", null, problem.Kind.ToString());
            return problem;
        }
        switch (registered.Value)
        {
            case IdentityRegistration.LikelyDuplicates duplicates:
                // Rule 12: the answer says only that a likely match exists, never who; each match's own entry names it, so
                // "who viewed" shows that someone's registration was checked against this client.
                foreach (var match in duplicates.Candidates.Select(c => c.Client).Distinct())
                    await audit.DeniedAsync(http, caller, "client.register", match, "LikelyDuplicate");
                return Problem.Conflict(LikelyMatchDetail);
            default:
                await audit.AllowedAsync(http, caller, "client.register", client, "AnyoneMayRegister");
                return client;
        }
    }

    /// <summary>
    /// The answer to a registration that looks like someone already registered: that a likely match exists, and where to
    /// search for them with a stated purpose (a search is audited and rate limited per caller) — no identity at all.
    /// </summary>
    public static ProblemHttpResult LikelyMatch() =>
        TypedResults.Problem(LikelyMatchDetail, statusCode: StatusCodes.Status409Conflict, title: "Likely duplicate",
            extensions: new Dictionary<string, object?>
            {
                ["search"] = "/api/v1/clients",
                ["searchRequires"] = "purpose",
            });

    public const string LikelyMatchDetail =
        "a likely match exists: search for the client, stating a purpose; if the search does not find them, register again with candidatesSeen";

    /// <summary>One page of matches (<paramref name="limit"/> up to 20, after the client <paramref name="after"/>); the Link header names the next.</summary>
    public async Task<Results<Ok<ClientSearchResponse>, ValidationProblem, ProblemHttpResult>> SearchAsync(HttpContext http, CurrentActor caller,
        ClientSearchQuery query, Guid? after, int? limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (!Paging.TryLimit(limit, ClientIdentityVault.LargestSearchPage, out var count, out var badLimit)) return badLimit!;
        if (services.GetService<ClientIdentityVault>() is null) return ApiProblems.Unavailable(NoVault);
        var found = await FindAsync(http, caller, query, after is { } last ? new ClientId(last) : null, count, cancellationToken);
        if (found.Problem is { } problem) return ApiProblems.From<Ok<ClientSearchResponse>>(problem);
        var (matches, more) = found.Value;
        if (more) Paging.SetNext(http, matches[^1].Client.Value, count);
        return TypedResults.Ok(new ClientSearchResponse([.. matches.Select(SearchMatchResponse.From)])
        {
            NextAfter = more ? matches[^1].Client.Value : null,
        });
    }

    /// <summary>
    /// The one search (rule 4) behind every door that finds clients — the API's and FHIR's Patient search: a stated purpose,
    /// one route, one audit entry, and matches that say only that a client exists. The caller checks the vault is configured.
    /// </summary>
    public async Task<Result<(IReadOnlyList<SearchMatch> Matches, bool More)>> FindAsync(HttpContext http, CurrentActor caller, ClientSearchQuery query,
        ClientId? after, int count, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(caller);
        if (string.IsNullOrWhiteSpace(query.Purpose) || query.Purpose.Length > MaxPurposeLength)
            return Problem.Invalid("purpose", $"say why you are searching, in 1 to {MaxPurposeLength} characters");
        // The purpose is stored in the audit trail.
        if (Text.Plain(query.Purpose, "purpose") is { } notPlain) return notPlain;
        var vault = services.GetRequiredService<ClientIdentityVault>();
        var search = query.ToSearch(caller.Organisation);
        if (search.Problem is { } problem)
        {
            await audit.DeniedAsync(http, caller, "client.search", null, $"Invalid:{problem.Field}", query.Purpose);
            return problem;
        }

        var found = await vault.SearchAsync(search.Value, after, count + 1, cancellationToken);
        var matches = found.Take(count).ToList();
        // One entry per search; it names the client when the search found exactly one, so "who viewed" shows it.
        await audit.AllowedAsync(http, caller, "client.search", matches.Count == 1 && after is null && found.Count == 1 ? matches[0].Client : null,
            $"Matches:{matches.Count}", query.Purpose);
        return (matches, found.Count > count);
    }

    /// <summary>
    /// 404 when the client does not exist, and equally when the caller sees nothing at all of the team: no visible and no
    /// masked involvement means no relationship and no own-organisation record, so even the client's existence is not theirs
    /// to learn here (search tells them a match exists, and nothing more). The caller's own involvement is always visible.
    /// 304 when the caller's If-None-Match holds the tag of exactly this answer.
    /// </summary>
    public async Task<Results<Ok<TeamResponse>, StatusCodeHttpResult, ValidationProblem, ProblemHttpResult>> TeamAsync(HttpContext http, CurrentActor caller,
        ClientId client, string? purpose, CancellationToken cancellationToken)
    {
        if (TeamPurposeProblem(purpose) is { } invalidPurpose) return ApiProblems.Invalid(invalidPurpose.Field ?? "purpose", invalidPurpose.Detail);
        if (await ReadTeamAsync(http, caller, client, purpose!, TeamReadAction, cancellationToken) is not { } read) return ApiProblems.NoSuchClient();
        var response = TeamResponse.From(read.Team, read.Partnership);
        // The view depends on the viewer and on the clock (a consent can lapse with no new event), so the tag is a hash of
        // exactly what this caller is shown: equal tags mean an identical answer, never a stale one.
        var tag = TeamTag(response, http);
        http.Response.Headers.ETag = tag;
        http.Response.Headers.CacheControl = "private, no-store";
        return http.Request.Headers.IfNoneMatch.Any(value => value is not null && value.Split(',').Any(t => t.Trim() == tag))
            ? TypedResults.StatusCode(StatusCodes.Status304NotModified)
            : TypedResults.Ok(response);
    }

    public const string TeamReadAction = "client.team.read";

    /// <summary>
    /// Every read of client data states its purpose (DESIGN.md §1 principle 3), recorded in the read's audit entry: plain
    /// text of 1 to <see cref="MaxPurposeLength"/> characters.
    /// </summary>
    public static Problem? TeamPurposeProblem(string? purpose) =>
        string.IsNullOrWhiteSpace(purpose) || purpose.Length > MaxPurposeLength
            ? Problem.Invalid("purpose", $"say why you are reading this client's team, in 1 to {MaxPurposeLength} characters")
            : Text.Optional(purpose, "purpose", MaxPurposeLength);

    /// <summary>
    /// The one team read behind every door that shows a team (the API's, FHIR's CareTeam and Consent): the client's state,
    /// the policy's view for the caller, and one audit entry under <paramref name="action"/> with the stated purpose. Null —
    /// audited as denied — when the client does not exist or the caller sees nothing of its team, so each door answers 404.
    /// </summary>
    public async Task<TeamRead?> ReadTeamAsync(HttpContext http, CurrentActor caller, ClientId client, string purpose, string action,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var (sharing, partnership) = await reader.LoadAsync(client, cancellationToken);
        if (sharing is null)
        {
            await audit.DeniedAsync(http, caller, action, client, "NoSuchClient", purpose);
            return null;
        }

        var now = clock.GetUtcNow();
        var team = AccessPolicy.TeamOf(sharing, partnership, caller.Viewer, now, policy);
        var decisions = AccessPolicy.DecideAll(sharing, partnership, caller.Viewer, now, policy);
        if (team.Visible.IsEmpty && team.Masked.IsEmpty)
        {
            await audit.DeniedAsync(http, caller, action, client, TeamReads.Reasons(decisions), purpose);
            return null;
        }
        await audit.AllowedAsync(http, caller, action, client, TeamReads.Rules(decisions), purpose);
        return new TeamRead(sharing, partnership, team, now);
    }

    private static string TeamTag(TeamResponse response, HttpContext http)
    {
        var json = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(response,
            http.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions);
        return $"W/\"{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(json).AsSpan(0, 16))}\"";
    }
}
