namespace Patchwork.Web.Desk;

/// <summary>
/// An organisation's administration through the pages: inviting practitioners, its partner systems, and the partnership's
/// sharing agreements. The host implements it with the API's own handlers, so each act is refused and audited as there.
/// </summary>
public interface IAdminDesk
{
    /// <summary>What the signed-in practitioner may administer, from their session's roles.</summary>
    AdminRights Rights { get; }

    /// <summary>The roles this administrator may grant (DESIGN §3 rule 13): their own, and DPO for a partnership admin.</summary>
    Patchwork.Core.Roles Grantable { get; }

    Task<DeskOutcome<bool>> InviteAsync(NewPractitioner practitioner, CancellationToken cancellationToken);

    Task<DeskOutcome<IReadOnlyList<AgreementSummary>>> AgreementsAsync(CancellationToken cancellationToken);

    /// <summary>The partnership's organisations and categories, for a new agreement's form.</summary>
    Task<AgreementChoices> AgreementChoicesAsync(CancellationToken cancellationToken);

    Task<DeskOutcome<Guid>> MakeAgreementAsync(NewAgreement agreement, CancellationToken cancellationToken);

    Task<DeskOutcome<bool>> EndAgreementAsync(Guid agreement, CancellationToken cancellationToken);

    Task<DeskOutcome<IReadOnlyList<PartnerSystemSummary>>> PartnerSystemsAsync(CancellationToken cancellationToken);

    Task<DeskOutcome<PartnerSystemCredentials>> RegisterPartnerSystemAsync(NewPartnerSystem system, CancellationToken cancellationToken);

    Task<DeskOutcome<bool>> RevokePartnerSystemAsync(Guid system, CancellationToken cancellationToken);
}

/// <summary>Organisation admins invite staff and register partner systems; partnership admins make and end agreements; DPOs read them.</summary>
public sealed record AdminRights(bool OrganisationAdmin, bool PartnershipAdmin, bool ReadsAgreements)
{
    public bool Any => OrganisationAdmin || PartnershipAdmin || ReadsAgreements;
}

/// <summary><paramref name="Roles"/> name roles beyond Practitioner, which every account has.</summary>
public sealed record NewPractitioner(string? Name, string? Email, IReadOnlyList<string> Roles);

public sealed record AgreementSummary(Guid Id, string Name, IReadOnlyList<string> Members, string Covers, DateOnly Start, DateOnly? End, DateTimeOffset? EndedAt, bool Active);

public sealed record AgreementChoices(IReadOnlyList<Choice> Organisations, IReadOnlyList<Choice> Categories);

/// <summary><paramref name="Categories"/> as the form gives them: "general" and sensitive category names.</summary>
public sealed record NewAgreement(string? Name, IReadOnlyList<Guid> Members, IReadOnlyList<string> Categories, DateOnly? Start, DateOnly? End);

public sealed record PartnerSystemSummary(Guid Id, string Name, string ClientId, IReadOnlyList<string> Scopes, IReadOnlyList<string> Authentication, bool Disabled, DateTimeOffset CreatedAt);

/// <summary>A public JWK (JSON) for private_key_jwt, or none and a generated client secret.</summary>
public sealed record NewPartnerSystem(string? Name, IReadOnlyList<string> Scopes, string? PublicJwk, bool ClientSecret);

/// <summary>Shown once, on the page that registered the system, and never again.</summary>
public sealed record PartnerSystemCredentials(string Name, string ClientId, string TokenEndpoint, string? ClientSecret, string BrokerHost, int BrokerPort,
    string VirtualHost, string BrokerUsername, string BrokerPassword, string NoticeQueue, string InboundExchange);
