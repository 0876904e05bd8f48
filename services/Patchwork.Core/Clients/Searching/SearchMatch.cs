namespace Patchwork.Core.Clients;

/// <summary>
/// What a search shows (DESIGN.md §3, refinement 4): that a client exists, with just enough to recognise them.
/// It has no member that could hold an involvement, an organisation or a practitioner, so it cannot reveal the team.
/// </summary>
public sealed record SearchMatch(ClientId Client, string GivenName, string FamilyName, int YearOfBirth, string? PostcodeDistrict)
{
    public static SearchMatch Of(ClientId client, string givenName, string familyName, DateOnly dateOfBirth, string? postcode) =>
        new(client, givenName, familyName, dateOfBirth.Year, postcode is null ? null : Normalise.PostcodeDistrict(postcode).Match<string?>(d => d, _ => null));
}
