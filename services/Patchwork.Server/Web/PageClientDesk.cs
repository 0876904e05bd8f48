using System.Collections.Immutable;
using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Patchwork.Core;
using Patchwork.Core.Clients;
using Patchwork.Core.Consents;
using Patchwork.Core.ContactRequests;
using Patchwork.Core.Practitioners;
using Patchwork.Server.Api;
using Patchwork.Server.Api.Audit;
using Patchwork.Server.Api.Clients;
using Patchwork.Server.Api.Involvements;
using Patchwork.Server.Api.Sharing;
using Patchwork.Web.Desk;

namespace Patchwork.Server.Web;

/// <summary>
/// The pages' desk, made of the API's own reads (<see cref="ClientReads"/>) and the slices' use cases carried out through the
/// client's write pipeline (<see cref="ClientCommands.CarryOutAsync"/>): the same policy decisions, validation and audit
/// entries, marked with the web channel. A read's HTTP answer is read back into what a page shows (the API's headers, ETags of
/// JSON representations, are taken off the page's response); a use case's outcome is read directly.
/// </summary>
public sealed class PageClientDesk(IHttpContextAccessor accessor, ClientReads reads, ClientCommands commands, ClientTeamReader reader,
    RequestAudit audit, EventStore.EventStore store, StatedPurposes purposes, TimeProvider clock, IServiceProvider services) : IClientDesk
{
    private HttpContext Http => DeskReading.Http(accessor);

    private CurrentActor Me => DeskReading.Me(Http);

    private PractitionerId MyId => ((Actor.Practitioner)Me.Actor).Id;

    public async Task<IReadOnlyList<MyClient>> MyClientsAsync(CancellationToken cancellationToken)
    {
        var vault = services.GetService<ClientIdentityVault>();
        var policy = services.GetRequiredService<Core.Access.PolicyOptions>();
        var viewer = Me.Viewer;
        var now = clock.GetUtcNow();
        var mine = new List<MyClient>();
        foreach (var client in await reader.ClientsOfAsync(MyId, cancellationToken))
        {
            var (sharing, partnership) = await reader.LoadAsync(client, cancellationToken);
            if (sharing is null) continue;
            // The list asks the policy like every other door: a client is mine where it shows me my own active involvement
            // (an involvement carrying my id but recorded by another organisation is not mine).
            if (Core.Access.AccessPolicy.TeamOf(sharing, partnership, viewer, now, policy).Visible
                    .Select(v => v.Involvement).FirstOrDefault(i => i.Practitioner == MyId && i.Organisation == viewer.Organisation && i.IsActive)
                is not { } involvement) continue;
            if (vault is null || await vault.ReadAsync(client, cancellationToken) is not { } identity) continue;
            await audit.AllowedAsync(Http, Me, "client.list", client, "OwnInvolvement");
            mine.Add(new MyClient(client, $"{identity.GivenNames} {identity.FamilyName}", identity.DateOfBirth, involvement.Role));
        }
        return [.. mine.OrderBy(c => c.Name, StringComparer.OrdinalIgnoreCase)];
    }

    public async Task<DeskOutcome<IReadOnlyList<ClientMatch>>> SearchAsync(ClientSearch search, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(search);
        var query = new ClientSearchQuery(search.NhsNumber, search.FamilyName, search.DateOfBirth?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            search.Postcode, null, search.Purpose);
        if (services.GetService<ClientIdentityVault>() is null) return DeskReading.NoVault<IReadOnlyList<ClientMatch>>();
        var searched = await reads.FindAsync(Http, Me, query, null, Math.Min(Api.Paging.DefaultLimit, ClientIdentityVault.LargestSearchPage), cancellationToken);
        var found = DeskReading.Outcome(searched, page => (IReadOnlyList<ClientMatch>)[.. page.Matches.Select(m => Match(SearchMatchResponse.From(m)))]);
        // The search's purpose is the purpose of opening what it found: kept for each match, so the client page carries it.
        if (found.Value is { Count: > 0 } matches)
            await purposes.KeepAsync(MyId, [.. matches.Select(m => m.Client)], search.Purpose!.Trim(), cancellationToken);
        return found;
    }

    public async Task<DeskOutcome<ClientId>> RegisterAsync(NewClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (services.GetService<ClientIdentityVault>() is null) return DeskReading.NoVault<ClientId>();
        var made = await reads.RegisterAsync(Http, Me, new ClientReads.NewIdentity(client.GivenNames, client.FamilyName, client.DateOfBirth, client.NhsNumber,
            client.Postcode, null, client.CandidatesSeen), cancellationToken);
        var registered = DeskReading.Outcome(made, client => client);
        if (registered.Succeeded) await purposes.KeepAsync(MyId, [registered.Value!], ReadPurposes.Registered, cancellationToken);
        return registered;
    }

    public Task<string?> PurposeAsync(ClientId client, CancellationToken cancellationToken) => purposes.OfAsync(MyId, client, cancellationToken);

    public async Task<DeskOutcome<string>> StatePurposeAsync(ClientId client, string? purpose, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(purpose) || purpose.Trim().Length > ReadPurposes.MaxLength)
            return DeskOutcome<string>.Refused(new DeskRefusal("purpose", $"Say why you are looking at this client, in 1 to {ReadPurposes.MaxLength} characters"));
        await purposes.KeepAsync(MyId, [client], purpose.Trim(), cancellationToken);
        return DeskOutcome<string>.Done(purpose.Trim());
    }

    public async Task<ClientRecord?> ClientAsync(ClientId client, string purpose, CancellationToken cancellationToken)
    {
        if (ClientReads.TeamPurposeProblem(purpose) is not null || await reads.ReadTeamAsync(Http, Me, client, purpose, ClientReads.TeamReadAction, cancellationToken)
            is not { } read) return null;
        var seen = TeamResponse.From(read.Team, read.Partnership);
        // The page shows the client as the team read found it: no second read that could disagree with the team shown.
        var (sharing, partnership) = (read.Sharing, read.Partnership);
        var identity = services.GetService<ClientIdentityVault>() is { } vault ? await vault.ReadAsync(client, cancellationToken) : null;
        var names = await DeskReading.PractitionersAsync(store, seen.Involvements.Select(i => new OrganisationId(i.OrganisationId)).Distinct(), cancellationToken);
        var now = clock.GetUtcNow();
        var members = seen.Involvements
            .OrderBy(i => i.PractitionerId != MyId.Value).ThenBy(i => i.End is not null).ThenBy(i => i.Start)
            .Select(i =>
            {
                var practitioner = i.PractitionerId is { } id ? names.GetValueOrDefault(new PractitionerId(id)) : null;
                return new TeamMember(new InvolvementId(i.InvolvementId), practitioner?.Name, practitioner?.JobTitle, i.OrganisationName ?? "Another organisation",
                    i.Role, i.Service, i.Category, i.Start, i.End, i.Contact.Phone, i.Contact.Email, i.PractitionerId == MyId.Value);
            }).ToList();
        // Consents are shown to the team's members: a consent's scope is the team's business, not a searcher's.
        var onTeam = members.Any(m => m.IsMine && m.End is null);
        var consents = onTeam && sharing is not null
            ? sharing.Consents.Values.OrderByDescending(c => c.GivenAt).Select(c => Summary(c, partnership, now)).ToList()
            : [];
        var showsSharing = (onTeam || (Me.Actor is Actor.Practitioner manager && manager.Holds(Roles.Manager))) && sharing is not null;
        IReadOnlyDictionary<Guid, string> justifications = showsSharing && services.GetService<Justifications>() is { } kept
            ? await kept.OfClientAsync(client, cancellationToken)
            : new Dictionary<Guid, string>();
        return new ClientRecord(client, identity is null ? "Unnamed client" : $"{identity.GivenNames} {identity.FamilyName}", identity?.DateOfBirth,
            identity?.NhsNumber?.ToString(), identity?.Postcode, members, [.. seen.Masked.Select(m => m.Handle)], consents)
        {
            Purpose = purpose,
            History = History(seen, members, names, sharing, onTeam, showsSharing, partnership, now, await SeenByAsync(client, partnership, cancellationToken)),
            BreakGlassUntil = sharing?.Grants.Values.Where(g => g.Practitioner == MyId && g.Organisation == Me.Organisation && g.IsActive(now)).Select(g => (DateTimeOffset?)g.ExpiresAt).Max(),
            // Shown to the team, and to managers, who approve them (the approval's own decision says which manager may).
            SharingWithoutConsent = showsSharing && sharing is not null
                ? [.. sharing.SharingWithoutConsent.Values.OrderByDescending(b => b.RequestedAt).Select(b => new SharingBasisSummary(b.Id.Value,
                    PageClientTasks.LawfulBasisName(b.Basis), Justifications.Show(justifications, b.Id.Value), b.ExpiresAt, b.ApprovedAt is not null, b.IsInForce(now)))]
                : [],
            ContactRequestsToMe = sharing is null ? [] : await RequestsToMeAsync(sharing, partnership, cancellationToken),
            MyContactRequests = sharing is null ? [] : [.. sharing.ContactRequests.Values.Where(r => r.Requester == MyId && r.RequesterOrganisation == Me.Organisation).OrderBy(r => r.RequestedAt)
                .Select(r => new MyContactRequest(r.RequestedAt, r.Answer))],
            OffersWhoViewed = onTeam || (Me.Actor is Actor.Practitioner me && (me.Holds(Roles.DataProtectionOfficer) || me.Holds(Roles.PartnershipAdmin))),
        };
    }

    public async Task<ConsentChoices> ConsentChoicesAsync(CancellationToken cancellationToken)
    {
        var partnership = await reader.PartnershipAsync(cancellationToken);
        var sectors = Enum.GetValues<Sector>().Select(s => new Choice($"sector:{s}", SectorName(s)));
        var organisations = partnership.Organisations.Values.OrderBy(o => o.Name, StringComparer.OrdinalIgnoreCase)
            .Select(o => new Choice($"organisation:{o.Id.Value}", o.Name));
        var categories = partnership.Categories.ByName.Values.OrderBy(c => c.IsSensitive).ThenBy(c => c.Name, StringComparer.Ordinal)
            .Select(c => c == Category.General
                ? new Choice(c.Name, "General work", "Anything not in a sensitive category")
                : new Choice(c.Name, Capitalised(c.Name), "Sensitive"));
        return new ConsentChoices([.. sectors, .. organisations], [.. categories]);
    }

    public async Task<DeskOutcome<InvolvementId>> RecordInvolvementAsync(ClientId client, NewInvolvement involvement, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(involvement);
        var me = Me;
        return await CarryOutAsync(Core.Involvements.Recording.UseCase(client, categories => Core.Involvements.Recording.Command(client, InvolvementId.New(), involvement.Role, involvement.Service,
                involvement.Category, involvement.Start, new ContactRoute(involvement.Phone, involvement.Email), categories), me.Actor),
            recorded => recorded.Involvement, cancellationToken);
    }

    public async Task<DeskOutcome<ConsentId>> RecordConsentAsync(ClientId client, NewConsent consent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(consent);
        var general = consent.Categories.Contains(Category.General.Name, StringComparer.OrdinalIgnoreCase);
        IEnumerable<string?> named = [.. consent.Categories.Where(c => !c.Equals(Category.General.Name, StringComparison.OrdinalIgnoreCase))];
        return await CarryOutAsync(Core.Consents.Recording.UseCase(client, categories => Core.Consents.Recording.Command(client, ConsentId.New(),
                ScopeOf(consent.ShareWith), (general, named), consent.GivenBy ?? ConsentGiver.Client,
                consent.Evidence is { } kind ? new ConsentEvidence(kind, consent.EvidenceReference) : null, null, categories), Me.Actor),
            recorded => recorded.Consent, cancellationToken);
    }

    public async Task<DeskOutcome<ConsentId>> WithdrawConsentAsync(ClientId client, ConsentId consent, CancellationToken cancellationToken)
    {
        return await CarryOutAsync(Withdrawing.UseCase(new WithdrawConsent(client, consent), Me.Actor), withdrawn => withdrawn.Consent, cancellationToken);
    }

    public async Task<DeskOutcome<ContactRequestId>> RequestContactAsync(ClientId client, string handle, CancellationToken cancellationToken)
    {
        var policy = services.GetRequiredService<Core.Access.PolicyOptions>();
        return await CarryOutAsync(Requesting.UseCase(client, ContactRequestId.New(), handle, Me.Actor, policy), requested => requested.Request, cancellationToken);
    }

    public async Task<DeskOutcome<ContactRequestId>> AnswerContactAsync(ClientId client, ContactRequestId request, ContactAnswer answer, CancellationToken cancellationToken)
    {
        return await CarryOutAsync(Answering.UseCase(new AnswerContactRequest(client, request, answer), Me.Actor), answered => answered.Request, cancellationToken);
    }

    /// <summary>
    /// The client's history as this practitioner may see it: built only from the team the policy showed them (so a hidden or
    /// masked involvement, and attention raised by someone hidden, leave no line), and from consents and sharing without
    /// consent only where the page shows those.
    /// </summary>
    private static IReadOnlyList<HistoryEntry> History(TeamResponse seen, IReadOnlyList<TeamMember> members,
        ImmutableDictionary<PractitionerId, Practitioner> names, ClientSharing? sharing, bool onTeam, bool showsSharing, Partnership partnership, DateTimeOffset now,
        IReadOnlyList<(DateTimeOffset At, string What)> seenBy)
    {
        // The UK date the practitioners live by, as every page shows it (issue 19).
        static DateOnly On(DateTimeOffset at) => Core.Calendar.Today(at);
        var lines = new List<(DateTimeOffset At, HistoryEntry Entry)>();
        void Add(DateTimeOffset at, string what) => lines.Add((at, new HistoryEntry(On(at), what)));
        foreach (var (at, what) in seenBy) Add(at, what);
        foreach (var member in members)
        {
            var who = $"{(member.IsMine ? "You" : member.PractitionerName ?? "A practitioner")} ({member.Organisation})";
            lines.Add((member.Start.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc), new HistoryEntry(member.Start, $"{who} started work with the client as {member.Role}")));
            if (member.End is { } end)
                lines.Add((end.ToDateTime(TimeOnly.MaxValue, DateTimeKind.Utc), new HistoryEntry(end, $"{who} ended their involvement")));
        }
        if (sharing is not null)
        {
            // Attention is told to those who can see whoever raised it; here, the practitioners of the team shown.
            var shown = seen.Involvements.Where(i => i.PractitionerId is not null)
                .ToDictionary(i => new PractitionerId(i.PractitionerId!.Value), i => i.OrganisationName ?? "another organisation");
            foreach (var raised in sharing.Attention.Values.Where(a => shown.ContainsKey(a.Practitioner)))
                Add(raised.At, $"{names.GetValueOrDefault(raised.Practitioner)?.Name ?? "A practitioner"} ({shown[raised.Practitioner]}) raised attention");
            if (onTeam)
            {
                foreach (var consent in sharing.Consents.Values)
                {
                    var summary = Summary(consent, partnership, now);
                    Add(consent.GivenAt, $"Consent recorded to share with {summary.SharesWith}");
                    if (consent.WithdrawnAt is { } withdrawn) Add(withdrawn, $"Consent to share with {summary.SharesWith} withdrawn");
                }
            }
            if (showsSharing)
            {
                foreach (var basis in sharing.SharingWithoutConsent.Values)
                {
                    var name = PageClientTasks.LawfulBasisName(basis.Basis);
                    Add(basis.RequestedAt, $"Sharing without consent requested ({name})");
                    if (basis.ApprovedAt is { } approved) Add(approved, $"Sharing without consent approved ({name})");
                }
            }
        }
        return [.. lines.OrderByDescending(l => l.At).Select(l => l.Entry)];
    }

    /// <summary>
    /// DESIGN §3 rule 9: the lines "Maria Costa (Safe Harbour) can now see your involvement", from the notices the feed relay
    /// told this practitioner — each names someone whom an act made able to see them.
    /// </summary>
    private async Task<IReadOnlyList<(DateTimeOffset At, string What)>> SeenByAsync(ClientId client, Partnership partnership, CancellationToken cancellationToken)
    {
        if (services.GetService<Feed.FeedNotices>() is not { } notices) return [];
        var seenBy = await notices.SeenByAsync(MyId, client, cancellationToken);
        if (seenBy.Count == 0) return [];
        var organisations = seenBy.Select(s => partnership.Practitioners.GetValueOrDefault(new PractitionerId(s.Viewer))).Where(o => o != default).Distinct();
        var names = await DeskReading.PractitionersAsync(store, organisations, cancellationToken);
        return [.. seenBy.Select(s =>
        {
            var viewer = new PractitionerId(s.Viewer);
            var organisation = partnership.Organisations.GetValueOrDefault(partnership.Practitioners.GetValueOrDefault(viewer))?.Name ?? "another organisation";
            return (s.At, $"{names.GetValueOrDefault(viewer)?.Name ?? "A practitioner"} ({organisation}) can now see your involvement");
        })];
    }

    /// <summary>Unanswered requests to this practitioner's own active involvement, naming who asks.</summary>
    private async Task<IReadOnlyList<ContactRequestToMe>> RequestsToMeAsync(ClientSharing sharing, Partnership partnership, CancellationToken cancellationToken)
    {
        var waiting = sharing.ContactRequests.Values
            .Where(r => r.Answer is null && sharing.Involvements.TryGetValue(r.Involvement, out var involvement) && involvement.Practitioner == MyId
                        && involvement.Organisation == Me.Organisation && involvement.IsActive)
            .OrderBy(r => r.RequestedAt).ToList();
        if (waiting.Count == 0) return [];
        var names = await DeskReading.PractitionersAsync(store, waiting.Select(r => r.RequesterOrganisation).Distinct(), cancellationToken);
        return [.. waiting.Select(r =>
        {
            var requester = names.GetValueOrDefault(r.Requester);
            return new ContactRequestToMe(r.Id, requester?.Name ?? "A practitioner", requester?.JobTitle,
                partnership.Organisations.GetValueOrDefault(r.RequesterOrganisation)?.Name ?? "another organisation", r.RequestedAt);
        })];
    }

    /// <summary>Hands a use case to the client's write pipeline as this practitioner, through the web channel, and reads what became of it.</summary>
    private Task<DeskOutcome<TOut>> CarryOutAsync<TEvent, TOut>(ClientUseCase<TEvent> useCase, Func<TEvent, TOut> value, CancellationToken cancellationToken)
        where TEvent : notnull =>
        DeskReading.CarryOutAsync(commands, Http, useCase, value, cancellationToken);

    private static ConsentSummary Summary(Consent consent, Partnership partnership, DateTimeOffset now)
    {
        var sharesWith = consent.Scope.Organisation is { } organisation
            ? partnership.Organisations.GetValueOrDefault(organisation)?.Name ?? "an organisation no longer in the partnership"
            : $"{SectorName(consent.Scope.Sector!.Value)} (every organisation of this kind)";
        var covers = string.Join(", ", (consent.Categories.IncludesGeneral ? ["general work"] : Array.Empty<string>())
            .Concat(consent.Categories.Named.Select(c => c.Name).Order(StringComparer.Ordinal)));
        var givenBy = consent.GivenBy switch
        {
            ConsentGiver.Client => "the client",
            ConsentGiver.PersonWithParentalResponsibility => "a person with parental responsibility",
            _ => "a legal representative",
        };
        var evidence = consent.Evidence.Kind.ToString().ToLowerInvariant() + (consent.Evidence.Reference is { Length: > 0 } reference ? $" ({reference})" : "");
        return new ConsentSummary(consent.Id, sharesWith, Capitalised(covers), Capitalised(givenBy), evidence, consent.GivenAt, consent.ExpiresAt, consent.IsInForce(now));
    }

    /// <summary>A form's "sector:Police" or "organisation:{id}" as the API's scope; null when it is neither.</summary>
    /// <summary>The form's "sector:…" or "organisation:…" choice as a scope; null when it names neither.</summary>
    internal static Result<SharingScope>? ScopeOf(string? shareWith) => shareWith?.Split(':', 2) switch
    {
        ["sector", var sector] when Enum.TryParse<Sector>(sector, out var s) && Enum.IsDefined(s) => SharingScope.Naming(null, s),
        ["organisation", var organisation] when Guid.TryParse(organisation, out var o) => SharingScope.Naming(o, null),
        _ => null,
    };

    internal static ClientMatch Match(SearchMatchResponse match) =>
        new(new ClientId(match.ClientId), match.GivenName, match.FamilyName, match.YearOfBirth, match.PostcodeDistrict);

    private static string SectorName(Sector sector) => sector switch
    {
        Sector.SocialCare => "Social care",
        Sector.Voluntary => "Voluntary sector",
        _ => sector.ToString(),
    };

    private static string Capitalised(string text) => DeskReading.Capitalised(text);
}
