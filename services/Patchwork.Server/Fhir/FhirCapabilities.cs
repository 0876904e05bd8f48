using Hl7.Fhir.Model;
using Patchwork.Server.Tokens;

namespace Patchwork.Server.Fhir;

/// <summary>What <c>/fhir/r4</c> supports, exactly: three searches, each with one parameter and one scope, JSON only.</summary>
public static class FhirCapabilities
{
    public static CapabilityStatement Statement(string baseUrl, DateTimeOffset now) => new()
    {
        Status = PublicationStatus.Active,
        Date = FhirResources.Instant(now),
        Kind = CapabilityStatementKind.Instance,
        FhirVersion = FHIRVersion.N4_0_1,
        Format = ["json"],
        Publisher = "Patchwork",
        Description = "Patchwork's read-only FHIR R4 door for partner systems: who else works with a person, as the access policy shows it to the caller's organisation.",
        Implementation = new CapabilityStatement.ImplementationComponent { Description = "Patchwork FHIR R4", Url = baseUrl },
        Rest =
        [
            new CapabilityStatement.RestComponent
            {
                Mode = CapabilityStatement.RestfulCapabilityMode.Server,
                Documentation = $"Every search needs the {FhirApi.PurposeHeader} header: why you are reading, as plain text of 1 to 500 characters, " +
                                "kept in the audit entry the read leaves (channel fhir). Someone the access policy lets see nothing of the patient gets 404. " +
                                "Errors are OperationOutcome. Unsupported parameters are refused (400), not ignored.",
                Security = new CapabilityStatement.SecurityComponent
                {
                    Service = [new CodeableConcept("http://terminology.hl7.org/CodeSystem/restful-security-service", "SMART-on-FHIR", "SMART-on-FHIR")],
                    Description = $"OAuth 2.0 client credentials (private_key_jwt, or a client secret) at /connect/token; the access token (at+jwt) as a Bearer. " +
                                  $"Scopes: {PartnerScopes.FhirPatient}, {PartnerScopes.FhirCareTeam}, {PartnerScopes.FhirConsent}, " +
                                  "granted to the partner system by its organisation's administrator.",
                },
                Resource =
                [
                    Search("Patient", "identifier", SearchParamType.Token, PartnerScopes.FhirPatient,
                        $"{FhirCodes.NhsNumberSystem}|{{NHS number}}: a Patient with Patchwork's id and that identifier when a match exists — nothing more."),
                    Search("CareTeam", "patient", SearchParamType.Reference, PartnerScopes.FhirCareTeam,
                        "The team as the access policy shows it to the caller's organisation: each visible involvement a participant whose member is a " +
                        "contained PractitionerRole (role, organisation, telecom, period; ended involvements keep their end); each masked involvement a " +
                        $"participant with no member and the extension {FhirCodes.RequestContactExtension}, whose value is the handle to send a contact request with."),
                    Search("Consent", "patient", SearchParamType.Reference, PartnerScopes.FhirConsent,
                        "The consents that name the caller's organisation or sector (withdrawn and expired ones as inactive) and the approved lawful bases " +
                        "for sharing without consent."),
                ],
            },
        ],
    };

    private static CapabilityStatement.ResourceComponent Search(string type, string parameter, SearchParamType kind, string scope, string documentation) => new()
    {
        Type = type,
        Documentation = $"Scope {scope}. {documentation}",
        Interaction = [new CapabilityStatement.ResourceInteractionComponent { Code = CapabilityStatement.TypeRestfulInteraction.SearchType }],
        SearchParam = [new CapabilityStatement.SearchParamComponent { Name = parameter, Type = kind }],
    };
}
