using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Patchwork.Core;
using Patchwork.Core.Access;
using Patchwork.Core.Clients;

namespace Patchwork.Server.Api.Clients;

public sealed record RegisterClientRequest(
    string? GivenNames, string? FamilyName, DateOnly? DateOfBirth, string? NhsNumber, string? Postcode, string? LocalReference, bool CandidatesSeen);

public sealed record RegisteredClientResponse(Guid ClientId);

/// <summary>What a search shows: that a client exists, and just enough to recognise them (never the team).</summary>
public sealed record SearchMatchResponse(Guid ClientId, string GivenName, string FamilyName, int YearOfBirth, string? PostcodeDistrict)
{
    public static SearchMatchResponse From(SearchMatch match)
    {
        ArgumentNullException.ThrowIfNull(match);
        return new(match.Client.Value, match.GivenName, match.FamilyName, match.YearOfBirth, match.PostcodeDistrict);
    }
}

public sealed record ClientSearchResponse(IReadOnlyList<SearchMatchResponse> Matches)
{
    /// <summary>Set when more matches follow: pass it as <c>after</c> for the next page.</summary>
    public Guid? NextAfter { get; init; }
}

/// <summary>
/// Exactly one search route — NHS number, family name with date of birth, postcode, or the caller's own reference — and a
/// purpose. The query names are camelCase like the rest of the API, and the OpenAPI document says so.
/// </summary>
public sealed record ClientSearchQuery(
    [property: FromQuery(Name = "nhsNumber")] string? NhsNumber,
    [property: FromQuery(Name = "familyName")] string? FamilyName,
    [property: FromQuery(Name = "dateOfBirth")] string? DateOfBirth,
    [property: FromQuery(Name = "postcode")] string? Postcode,
    [property: FromQuery(Name = "localReference")] string? LocalReference,
    [property: FromQuery(Name = "purpose")] string? Purpose)
{
    public Result<IdentitySearch> ToSearch(OrganisationId caller)
    {
        var routes = new[] { NhsNumber, FamilyName ?? DateOfBirth, Postcode, LocalReference }.Count(r => !string.IsNullOrWhiteSpace(r));
        if (routes != 1) return Problem.Invalid("query", "search by exactly one of: nhsNumber; familyName with dateOfBirth; postcode; localReference");
        if (!string.IsNullOrWhiteSpace(NhsNumber)) return Core.Clients.NhsNumber.Parse(NhsNumber).Map(n => (IdentitySearch)new IdentitySearch.ByNhsNumber(n));
        if (!string.IsNullOrWhiteSpace(Postcode))
            return Normalise.PostcodeDistrict(Postcode).Map(_ => (IdentitySearch)new IdentitySearch.ByPostcode(Postcode));
        if (!string.IsNullOrWhiteSpace(LocalReference))
            return LocalReference.Length > 100 ? Problem.Invalid("localReference", "has at most 100 characters") : new IdentitySearch.ByLocalReference(caller, LocalReference);
        if (string.IsNullOrWhiteSpace(FamilyName) || FamilyName.Length > 200) return Problem.Invalid("familyName", "give the family name (at most 200 characters) with the date of birth");
        return DateOnly.TryParseExact(DateOfBirth, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var born)
            ? new IdentitySearch.ByNameAndBirth(FamilyName, born)
            : Problem.Invalid("dateOfBirth", "give the date of birth as yyyy-mm-dd");
    }
}

public sealed record ContactBody(string? Phone, string? Email)
{
    public ContactRoute ToRoute() => new(Phone, Email);

    public static ContactBody From(ContactRoute route)
    {
        ArgumentNullException.ThrowIfNull(route);
        return new(route.Phone, route.Email);
    }
}

/// <summary>The team as the caller may see it: visible involvements in full with the rule, masked ones as bare handles.</summary>
public sealed record TeamResponse(Guid ClientId, IReadOnlyList<TeamMemberResponse> Involvements, IReadOnlyList<MaskedEntryResponse> Masked)
{
    public static TeamResponse From(TeamView team, Partnership partnership)
    {
        ArgumentNullException.ThrowIfNull(team);
        ArgumentNullException.ThrowIfNull(partnership);
        return new(team.Client.Value,
            [.. team.Visible.Select(v => new TeamMemberResponse(v.Involvement.Id.Value, v.Involvement.Organisation.Value,
                partnership.Organisations.GetValueOrDefault(v.Involvement.Organisation)?.Name, v.Involvement.Practitioner?.Value, v.Involvement.Role,
                v.Involvement.Service, v.Involvement.Category.Name, v.Involvement.Start, v.Involvement.End, ContactBody.From(v.Involvement.Contact), v.Rule))],
            [.. team.Masked.Select(m => new MaskedEntryResponse(m.Handle.Value))]);
    }
}

public sealed record TeamMemberResponse(
    Guid InvolvementId, Guid OrganisationId, string? OrganisationName, Guid? PractitionerId, string Role, string? Service, string Category,
    DateOnly Start, DateOnly? End, ContactBody Contact, SharingRule Rule);

/// <summary>"Another service is involved": a handle to send a contact request with, and nothing else.</summary>
public sealed record MaskedEntryResponse(string Handle)
{
    public string Description => "another service is involved";
}
