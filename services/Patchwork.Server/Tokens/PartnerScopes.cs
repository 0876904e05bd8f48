namespace Patchwork.Server.Tokens;

/// <summary>The scopes a partner client can be granted; each has a policy of the same meaning on the API.</summary>
public static class PartnerScopes
{
    public const string Read = "partner.read";
    public const string InvolvementsWrite = "partner.involvements.write";
    public const string ConsentsWrite = "partner.consents.write";

    // SMART Backend Services-style system scopes (SMART App Launch 2: ".rs" = read and search) for the FHIR R4 door, issue 24.
    public const string FhirPatient = "system/Patient.rs";
    public const string FhirCareTeam = "system/CareTeam.rs";
    public const string FhirConsent = "system/Consent.rs";

    public static IReadOnlyList<string> All { get; } = [Read, InvolvementsWrite, ConsentsWrite, FhirPatient, FhirCareTeam, FhirConsent];

    public static bool IsKnown(string scope) => All.Contains(scope, StringComparer.Ordinal);

    /// <summary>RFC 6749 §3.3: a space-delimited list; duplicates collapse, order is not significant.</summary>
    public static IReadOnlyList<string> Parse(string? scope) =>
        string.IsNullOrEmpty(scope) ? [] : scope.Split(' ', StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToList();
}
