namespace Patchwork.Core.ContactRequests;

public enum ContactAnswer
{
    Accepted,
    Declined,
}

/// <summary>A practitioner's request to reach a masked sensitive involvement; its practitioner answers it once.</summary>
public sealed record ContactRequest(
    ContactRequestId Id,
    InvolvementId Involvement,
    PractitionerId Requester,
    OrganisationId RequesterOrganisation,
    DateTimeOffset RequestedAt,
    ContactAnswer? Answer,
    DateTimeOffset? AnsweredAt)
{
    public static ContactRequest From(ContactRequested requested) => new(
        requested.Request, requested.Involvement, requested.Requester, requested.RequesterOrganisation, requested.At, null, null);
}
