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
/// The pages' client tasks: the slices' use cases carried out through the client's write pipeline
/// (<see cref="ClientCommands.CarryOutAsync"/>) and the API's access-log read (<see cref="ClientRecords"/>): the same decisions,
/// refusals and audit entries as the API's endpoints, channel web.
/// </summary>
public sealed class PageClientTasks(IHttpContextAccessor accessor, ClientCommands commands, ClientRecords records, ClientTeamReader reader,
    EventStore.EventStore store, TimeProvider clock) : IClientTasks
{
    private HttpContext Http => DeskReading.Http(accessor);

    public async Task<DeskOutcome<DateTimeOffset>> BreakGlassAsync(ClientId client, string? justification, int? minutes, CancellationToken cancellationToken)
    {
        return await CarryOutAsync(Granting.UseCase(client, GrantId.New(), justification, minutes is { } m ? TimeSpan.FromMinutes(m) : null, Me.Actor),
            granted => granted.ExpiresAt, cancellationToken);
    }

    public async Task<IReadOnlyList<Viewing>?> WhoViewedAsync(ClientId client, CancellationToken cancellationToken)
    {
        var page = await records.WhoViewedPageAsync(Http, DeskReading.Me(Http), client, after: null, count: 200, cancellationToken);
        if (page.Problem is not null) return null;
        var entries = page.Value.Entries;
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
            : DeskReading.Refusal<SubjectAccessCopy>(answer.Refusal!);
    }

    public async Task<DeskOutcome<InvolvementId>> EndInvolvementAsync(ClientId client, InvolvementId involvement, DateOnly? end, CancellationToken cancellationToken)
    {
        return await CarryOutAsync(Ending.UseCase(client, involvement, end, Me.Actor), ended => ended.Involvement, cancellationToken);
    }

    public async Task<DeskOutcome<bool>> RaiseAttentionAsync(ClientId client, CancellationToken cancellationToken)
    {
        return await CarryOutAsync(Raising.UseCase(new RaiseAttention(client, AttentionId.New()), Me.Actor), _ => true, cancellationToken);
    }

    public async Task<DeskOutcome<bool>> RecordObjectionAsync(ClientId client, string? shareWith, CancellationToken cancellationToken)
    {
        var scope = PageClientDesk.ScopeOf(shareWith) ?? Problem.Invalid("scope", "name an organisation or a sector");
        return await CarryOutAsync(Core.Objections.Recording.UseCase(client, ObjectionId.New(), scope, Me.Actor), _ => true, cancellationToken);
    }

    public async Task<DeskOutcome<Guid>> RequestSharingWithoutConsentAsync(ClientId client, string? basis, string? justification, int? months,
        CancellationToken cancellationToken)
    {
        var lawfulBasis = Enum.TryParse<LawfulBasis>(basis, out var parsed) && Enum.IsDefined(parsed) ? parsed : (LawfulBasis?)null;
        return await CarryOutAsync(Core.SharingWithoutConsent.Requesting.UseCase(client, SharingWithoutConsentId.New(), lawfulBasis, justification,
            months is { } term ? clock.GetUtcNow().AddMonths(term) : null, Me.Actor), requested => requested.Basis.Value, cancellationToken);
    }

    public async Task<DeskOutcome<bool>> ApproveSharingWithoutConsentAsync(ClientId client, Guid basis, CancellationToken cancellationToken)
    {
        return await CarryOutAsync(Approving.UseCase(new ApproveSharingWithoutConsent(client, new SharingWithoutConsentId(basis)), Me.Actor), _ => true,
            cancellationToken);
    }

    private CurrentActor Me => DeskReading.Me(Http);

    /// <summary>Hands a use case to the client's write pipeline as this practitioner, through the web channel, and reads what became of it.</summary>
    private Task<DeskOutcome<TOut>> CarryOutAsync<TEvent, TOut>(ClientUseCase<TEvent> useCase, Func<TEvent, TOut> value, CancellationToken cancellationToken)
        where TEvent : notnull =>
        DeskReading.CarryOutAsync(commands, Http, useCase, value, cancellationToken);

    internal static string LawfulBasisName(LawfulBasis basis) => basis switch
    {
        LawfulBasis.SafeguardingChild => "Safeguarding a child",
        LawfulBasis.SafeguardingAdultAtRisk => "Safeguarding an adult at risk",
        LawfulBasis.PublicTask => "Public task",
        _ => "Vital interests",
    };
}
