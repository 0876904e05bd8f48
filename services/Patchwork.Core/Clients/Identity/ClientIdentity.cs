namespace Patchwork.Core.Clients;

/// <summary>
/// Who the client is: personal data, held only in the identity vault, encrypted, never in an event.
/// Local references are each agency's own case number for the client.
/// </summary>
public sealed record ClientIdentity(
    string GivenNames,
    string FamilyName,
    DateOnly DateOfBirth,
    NhsNumber? NhsNumber,
    string? Postcode,
    IReadOnlyDictionary<OrganisationId, string> LocalReferences)
{
    /// <summary>Checks what a person typed; every problem names its field.</summary>
    public static Result<ClientIdentity> Create(string? givenNames, string? familyName, DateOnly? dateOfBirth, string? nhsNumber,
        string? postcode, IReadOnlyDictionary<OrganisationId, string>? localReferences, DateOnly today)
    {
        if (string.IsNullOrWhiteSpace(givenNames)) return Problem.Invalid("givenNames", "enter the client's given names");
        if (givenNames.Length > 200) return Problem.Invalid("givenNames", "must be 200 characters or fewer");
        if (Text.Plain(givenNames, "givenNames") is { } givenNamesNotPlain) return givenNamesNotPlain;
        if (string.IsNullOrWhiteSpace(familyName)) return Problem.Invalid("familyName", "enter the client's family name");
        if (familyName.Length > 200) return Problem.Invalid("familyName", "must be 200 characters or fewer");
        if (Text.Plain(familyName, "familyName") is { } familyNameNotPlain) return familyNameNotPlain;
        if (Normalise.FamilyName(familyName).Length == 0) return Problem.Invalid("familyName", "must contain a letter");
        if (dateOfBirth is not { } born) return Problem.Invalid("dateOfBirth", "enter the client's date of birth");
        if (born > today) return Problem.Invalid("dateOfBirth", "cannot be in the future");
        if (born < today.AddYears(-130)) return Problem.Invalid("dateOfBirth", "must be within the last 130 years");
        NhsNumber? nhs = null;
        if (!string.IsNullOrWhiteSpace(nhsNumber))
        {
            var parsed = Clients.NhsNumber.Parse(nhsNumber);
            if (!parsed.IsSuccess) return parsed.Problem!;
            nhs = parsed.Value;
        }
        string? normalPostcode = null;
        if (!string.IsNullOrWhiteSpace(postcode))
        {
            var district = Normalise.PostcodeDistrict(postcode);
            if (!district.IsSuccess) return district.Problem!;
            normalPostcode = Normalise.Postcode(postcode);
        }
        var references = localReferences ?? new Dictionary<OrganisationId, string>();
        if (references.Values.Any(reference => string.IsNullOrWhiteSpace(reference) || reference.Length > 100 || !Text.IsPlain(reference)))
            return Problem.Invalid("localReferences", "each reference must be one line of plain text of 1 to 100 characters");
        return new ClientIdentity(givenNames.Trim(), familyName.Trim(), born, nhs, normalPostcode, references);
    }
}
