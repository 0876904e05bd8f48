using Microsoft.AspNetCore.Http.HttpResults;
using Patchwork.Core;
using Patchwork.Core.Attention;
using Patchwork.Core.BreakGlass;
using Patchwork.Core.Clients;
using Patchwork.Core.Involvements;
using Patchwork.Core.Objections;
using Patchwork.Core.SharingWithoutConsent;
using Patchwork.Server.Api;
using Patchwork.Server.Api.Audit;
using Patchwork.Server.Api.Clients;
using Patchwork.Web.Desk;

namespace Patchwork.Server.Web;

/// <summary>
/// The pages' client tasks, made of the API's command pipeline (<see cref="ClientCommands"/>) and its access-log read
/// (<see cref="ClientRecords"/>): the same decisions, refusals and audit entries as the API's endpoints, channel web.
/// </summary>
public sealed class PageClientTasks(IHttpContextAccessor accessor, ClientCommands commands, ClientRecords records, ClientTeamReader reader,
    EventStore.EventStore store) : IClientTasks
{
    private HttpContext Http => DeskReading.Http(accessor);

    public async Task<DeskOutcome<DateTimeOffset>> BreakGlassAsync(ClientId client, string? justification, int? minutes, CancellationToken cancellationToken)
    {
        var me = DeskReading.Me(Http);
        var grant = GrantId.New();
        return DeskReading.Outcome(Http, await commands.HandleAsync(
                new ClientCommand(Http, me, client, "break-glass.grant") { OpenToAnyone = true, Justification = (grant.Value, justification) },
                (sharing, _, now) => Granting.Decide(sharing, new GrantBreakGlass(sharing.Client, grant, justification ?? "",
                    minutes is { } m ? TimeSpan.FromMinutes(m) : null), me.Actor, now),
                granted => TypedResults.Ok(granted.ExpiresAt), cancellationToken),
            (DateTimeOffset expires) => expires);
    }

    public async Task<IReadOnlyList<Viewing>?> WhoViewedAsync(ClientId client, CancellationToken cancellationToken)
    {
        var page = DeskReading.Outcome(Http, await records.WhoViewedAsync(Http, DeskReading.Me(Http), client, null, 200, cancellationToken),
            (AuditPageResponse entries) => entries.Entries);
        if (page.Value is not { } entries) return null;
        var partnership = await reader.PartnershipAsync(cancellationToken);
        var names = await DeskReading.PractitionersAsync(store, entries.Select(e => new OrganisationId(e.OrganisationId)).Distinct(), cancellationToken);
        return [.. entries.Select(e => new Viewing(e.At,
            e.PractitionerId is { } who ? names.GetValueOrDefault(new PractitionerId(who))?.Name ?? "A practitioner" : "A partner system",
            partnership.Organisations.GetValueOrDefault(new OrganisationId(e.OrganisationId))?.Name ?? "An organisation no longer in the partnership",
            e.Action, e.Channel.ToString(), e.Purpose, e.Outcome == AuditOutcome.Allowed))];
    }

    public bool PreparesSubjectAccess =>
        DeskReading.Me(Http).Actor is Actor.Practitioner me && (me.Holds(Roles.DataProtectionOfficer) || me.Holds(Roles.PartnershipAdmin));

    public async Task<DeskOutcome<SubjectAccessCopy>> SubjectAccessAsync(ClientId client, string? purpose, CancellationToken cancellationToken)
    {
        var answer = await records.SubjectAccessAsync(Http, DeskReading.Me(Http), client, purpose, cancellationToken);
        return answer.Read is { } read
            ? DeskOutcome<SubjectAccessCopy>.Done(SubjectAccessWords.Copy(read))
            : DeskReading.Outcome(Http, ApiProblems.From<Ok<SubjectAccessCopy>>(answer.Refusal!), (SubjectAccessCopy copy) => copy);
    }

    public async Task<DeskOutcome<InvolvementId>> EndInvolvementAsync(ClientId client, InvolvementId involvement, DateOnly? end, CancellationToken cancellationToken)
    {
        var me = DeskReading.Me(Http);
        return DeskReading.Outcome(Http, await commands.HandleAsync(
                new ClientCommand(Http, me, client, "involvement.end") { Involvement = involvement },
                (sharing, _, now) => Ending.Decide(sharing, new EndInvolvement(sharing.Client, involvement, end ?? Calendar.Today(now)), me.Actor, now),
                _ => TypedResults.Ok(involvement), cancellationToken),
            (InvolvementId ended) => ended);
    }

    public async Task<DeskOutcome<bool>> RaiseAttentionAsync(ClientId client, CancellationToken cancellationToken)
    {
        var me = DeskReading.Me(Http);
        return DeskReading.Outcome(Http, await commands.HandleAsync(new ClientCommand(Http, me, client, "attention.raise"),
                (sharing, _, now) => Raising.Decide(sharing, new RaiseAttention(sharing.Client, AttentionId.New()), me.Actor, now),
                _ => TypedResults.Ok(true), cancellationToken),
            (bool raised) => raised);
    }

    public async Task<DeskOutcome<bool>> RecordObjectionAsync(ClientId client, string? shareWith, CancellationToken cancellationToken)
    {
        var me = DeskReading.Me(Http);
        var scope = PageClientDesk.ScopeOf(shareWith);
        return DeskReading.Outcome(Http, await commands.HandleAsync(new ClientCommand(Http, me, client, "objection.record"),
                (sharing, partnership, now) => (scope?.ToScope() ?? Problem.Invalid("scope", "name an organisation or a sector")).Bind(named =>
                    Core.Objections.Recording.Decide(sharing, new RecordObjection(sharing.Client, ObjectionId.New(), named), me.Actor, partnership, now)),
                _ => TypedResults.Ok(true), cancellationToken),
            (bool recorded) => recorded);
    }

    public async Task<DeskOutcome<Guid>> RequestSharingWithoutConsentAsync(ClientId client, string? basis, string? justification, int? months,
        CancellationToken cancellationToken)
    {
        var me = DeskReading.Me(Http);
        var lawfulBasis = Enum.TryParse<LawfulBasis>(basis, out var parsed) && Enum.IsDefined(parsed) ? parsed : (LawfulBasis?)null;
        var requested = SharingWithoutConsentId.New();
        return DeskReading.Outcome(Http, await commands.HandleAsync(
                new ClientCommand(Http, me, client, "sharing-without-consent.request") { Justification = (requested.Value, justification) },
                (sharing, _, now) => lawfulBasis is not { } named ? Problem.Invalid("lawfulBasis", "choose the lawful basis")
                    : months is not { } term ? Problem.Invalid("expiresAt", "choose when it is reviewed")
                    : Core.SharingWithoutConsent.Requesting.Decide(sharing, new RequestSharingWithoutConsent(sharing.Client, requested,
                        named, justification ?? "", now.AddMonths(term)), me.Actor, now),
                recorded => TypedResults.Ok(recorded.Basis.Value), cancellationToken),
            (Guid id) => id);
    }

    public async Task<DeskOutcome<bool>> ApproveSharingWithoutConsentAsync(ClientId client, Guid basis, CancellationToken cancellationToken)
    {
        var me = DeskReading.Me(Http);
        return DeskReading.Outcome(Http, await commands.HandleAsync(new ClientCommand(Http, me, client, "sharing-without-consent.approve"),
                (sharing, _, now) => Approving.Decide(sharing, new ApproveSharingWithoutConsent(sharing.Client, new SharingWithoutConsentId(basis)), me.Actor, now),
                _ => TypedResults.Ok(true), cancellationToken),
            (bool approved) => approved);
    }

    internal static string LawfulBasisName(LawfulBasis basis) => basis switch
    {
        LawfulBasis.SafeguardingChild => "Safeguarding a child",
        LawfulBasis.SafeguardingAdultAtRisk => "Safeguarding an adult at risk",
        LawfulBasis.PublicTask => "Public task",
        _ => "Vital interests",
    };
}
