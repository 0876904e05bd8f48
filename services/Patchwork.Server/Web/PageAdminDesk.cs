using System.Text.Json;
using Patchwork.Core;
using Patchwork.Core.Clients;
using Patchwork.Server.Api.Agreements;
using Patchwork.Server.Api.Audit;
using Patchwork.Server.Api.Sharing;
using Patchwork.Server.PartnerBus.Registration;
using Patchwork.Server.SignIn;
using Patchwork.Server.Tokens;
using Patchwork.Web.Desk;

namespace Patchwork.Server.Web;

/// <summary>
/// The admin pages' desk: the one handler of each act and read the API has too — invitations
/// (<see cref="PractitionerAdminEndpoints.InviteAsync"/>), partner systems (<see cref="PartnerSystemsApi"/>) and agreements
/// (<see cref="PartnershipAgreements"/>, whose acts are their slices' use cases) — so each is checked, refused and audited
/// exactly as through the API, with channel "web".
/// </summary>
public sealed class PageAdminDesk(IHttpContextAccessor accessor, PartnershipAgreements agreements, ClientTeamReader reader, RequestAudit audit,
    IServiceProvider services) : IAdminDesk
{
    private HttpContext Http => DeskReading.Http(accessor);

    private SignedInPractitioner? Me => SignedInPractitioner.From(Http.User);

    public AdminRights Rights => Me is { } me
        ? new AdminRights(me.Roles.HasFlag(Roles.OrganisationAdmin), me.Roles.HasFlag(Roles.PartnershipAdmin),
            (me.Roles & (Roles.PartnershipAdmin | Roles.OrganisationAdmin | Roles.DataProtectionOfficer)) != 0)
        : new AdminRights(false, false, false);

    public Roles Grantable => Me is { } me ? RoleGrants.GrantableBy(me.Roles) : Roles.None;

    private Guid Organisation => Me?.Organisation.Value ?? throw new InvalidOperationException("An admin page admitted someone who is not a practitioner.");

    public async Task<DeskOutcome<bool>> InviteAsync(NewPractitioner practitioner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(practitioner);
        var sent = await PractitionerAdminEndpoints.InviteAsync(Organisation,
            new PractitionerAdminEndpoints.Invitee(practitioner.Name, practitioner.Email, [.. practitioner.Roles], null), Http.User, Http,
            services.GetRequiredService<PractitionerAccounts>(), services.GetRequiredService<PractitionerSignInOptions>(), audit,
            services.GetRequiredService<Domain.PractitionerDirectory>(), cancellationToken);
        return sent.Problem switch
        {
            { Kind: ProblemKind.Conflict } taken => DeskOutcome<bool>.Refused(new DeskRefusal("email", DeskReading.Capitalised(taken.Detail))),
            { Kind: ProblemKind.Forbidden } => DeskOutcome<bool>.Refused(new DeskRefusal(null, "Not found", NotFound: true)),
            _ => DeskReading.Outcome(sent, _ => true),
        };
    }

    public async Task<DeskOutcome<IReadOnlyList<AgreementSummary>>> AgreementsAsync(CancellationToken cancellationToken) =>
        DeskReading.Outcome(await agreements.AgreementsAsync(Http, DeskReading.Me(Http), null, Api.Paging.LargestLimit, cancellationToken),
            views => (IReadOnlyList<AgreementSummary>)[.. views.Select(Summary)]);

    public async Task<AgreementChoices> AgreementChoicesAsync(CancellationToken cancellationToken)
    {
        var partnership = await reader.PartnershipAsync(cancellationToken);
        var organisations = partnership.Organisations.Values.OrderBy(o => o.Name, StringComparer.OrdinalIgnoreCase).Select(o => new Choice(o.Id.Value.ToString(), o.Name));
        var categories = partnership.Categories.ByName.Values.OrderBy(c => c.IsSensitive).ThenBy(c => c.Name, StringComparer.Ordinal)
            .Select(c => c == Category.General ? new Choice(c.Name, "General work", "Anything not in a sensitive category") : new Choice(c.Name, DeskReading.Capitalised(c.Name), "Sensitive"));
        return new AgreementChoices([.. organisations], [.. categories]);
    }

    public async Task<DeskOutcome<Guid>> MakeAgreementAsync(NewAgreement agreement, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(agreement);
        var general = agreement.Categories.Contains(Category.General.Name, StringComparer.OrdinalIgnoreCase);
        IEnumerable<string?> named = [.. agreement.Categories.Where(c => !c.Equals(Category.General.Name, StringComparison.OrdinalIgnoreCase))];
        var me = DeskReading.Me(Http);
        var useCase = Core.Agreements.Making.UseCase(categories => Core.Agreements.Making.Command(AgreementId.New(), agreement.Name, agreement.Members,
            agreement.Categories.Count == 0 ? null : (general, named), agreement.Start, agreement.End, categories), me.Actor);
        return Outcome(await agreements.CarryOutAsync(Http, me, useCase, cancellationToken), made => made.Agreement.Value, "this agreement is already made");
    }

    public async Task<DeskOutcome<bool>> EndAgreementAsync(Guid agreement, CancellationToken cancellationToken)
    {
        var me = DeskReading.Me(Http);
        var useCase = Core.Agreements.Ending.UseCase(new Core.Agreements.EndAgreement(new AgreementId(agreement)), me.Actor);
        return Outcome(await agreements.CarryOutAsync(Http, me, useCase, cancellationToken), _ => true, "the agreement has already ended");
    }

    /// <summary>What became of a partnership use case, as the page shows it; a lost race reads as the refusal it would have been.</summary>
    private static DeskOutcome<TOut> Outcome<TEvent, TOut>(Core.Agreements.PartnershipActOutcome<TEvent> outcome, Func<TEvent, TOut> value, string conflict) =>
        outcome switch
        {
            Core.Agreements.PartnershipActOutcome<TEvent>.Done done => DeskOutcome<TOut>.Done(value(done.Event)),
            Core.Agreements.PartnershipActOutcome<TEvent>.Refused { Problem: var problem } => DeskReading.Refusal<TOut>(problem),
            _ => DeskReading.Refusal<TOut>(Problem.Conflict(conflict)),
        };

    public async Task<DeskOutcome<IReadOnlyList<PartnerSystemSummary>>> PartnerSystemsAsync(CancellationToken cancellationToken) =>
        DeskReading.Outcome(await PartnerSystemsApi.ListAsync(Organisation, null, Api.Paging.LargestLimit, Http.User, Http, services.GetRequiredService<PartnerSystemRegistry>(), audit,
                cancellationToken),
            views => (IReadOnlyList<PartnerSystemSummary>)[.. views.OrderBy(v => v.Disabled).ThenByDescending(v => v.CreatedAt)
                .Select(v => new PartnerSystemSummary(v.PartnerSystemId, v.DisplayName, v.ClientId, v.Scopes, v.Authentication, v.Disabled, v.CreatedAt))]);

    public async Task<DeskOutcome<PartnerSystemCredentials>> RegisterPartnerSystemAsync(NewPartnerSystem system, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(system);
        JsonElement? jwk = null;
        if (!system.ClientSecret && system.PublicJwk is { Length: > 0 } text)
        {
            try
            {
                jwk = JsonDocument.Parse(text).RootElement.Clone();
            }
            catch (JsonException)
            {
                return DeskOutcome<PartnerSystemCredentials>.Refused(new DeskRefusal("publicJwk", "Paste the public key as a JSON Web Key, starting with {"));
            }
        }
        var made = await PartnerSystemsApi.RegisterAsync(Organisation, new PartnerSystemsApi.NewPartnerSystem(system.Name, [.. system.Scopes], jwk, system.ClientSecret),
            Http.User, Http, services.GetRequiredService<PartnerSystemRegistry>(), audit, services.GetRequiredService<TokenOptions>(), cancellationToken);
        return DeskReading.Outcome(made, made => new PartnerSystemCredentials(
            made.PartnerSystem.DisplayName, made.PartnerSystem.ClientId, made.TokenEndpoint, made.ClientSecret, made.Broker.Host, made.Broker.Port,
            made.Broker.VirtualHost, made.Broker.Username, made.Broker.Password, made.Broker.NoticeQueue, made.Broker.InboundExchange));
    }

    public async Task<DeskOutcome<bool>> RevokePartnerSystemAsync(Guid system, CancellationToken cancellationToken) =>
        DeskReading.Outcome(await PartnerSystemsApi.RevokeAsync(Organisation, system, Http.User, Http, services.GetRequiredService<PartnerSystemRegistry>(), audit, cancellationToken),
            _ => true);

    private static AgreementSummary Summary(AgreementView view)
    {
        var covers = string.Join(", ", (view.IncludesGeneral ? ["general work"] : Array.Empty<string>()).Concat(view.Categories));
        return new AgreementSummary(view.AgreementId, view.Name, [.. view.Members.Select(m => m.Name)], DeskReading.Capitalised(covers), view.Start, view.End,
            view.EndedAt, view.Active);
    }
}
