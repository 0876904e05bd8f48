using Hl7.Fhir.Model;
using Patchwork.Core.Access;
using Patchwork.Core.SharingWithoutConsent;

namespace Patchwork.Server.Fhir;

/// <summary>
/// The names Patchwork's FHIR resources use: published systems where one exists (the NHS number, ODS codes, HL7's consent
/// scope and policy codes, LOINC), and one small Patchwork code system for what none covers (README, "FHIR R4").
/// These are stable names, not addresses a caller resolves.
/// </summary>
public static class FhirCodes
{
    public const string NhsNumberSystem = "https://fhir.nhs.uk/Id/nhs-number";
    public const string OdsCodeSystem = "https://fhir.nhs.uk/Id/ods-organization-code";

    public const string Namespace = "https://patchwork.example/fhir";
    public const string CodeSystemUrl = Namespace + "/CodeSystem/patchwork";
    public const string InvolvementIdSystem = Namespace + "/Id/involvement";
    public const string PractitionerIdSystem = Namespace + "/Id/practitioner";
    public const string OrganisationIdSystem = Namespace + "/Id/organisation";
    public const string PartnerSystemIdSystem = Namespace + "/Id/partner-system";
    public const string RequestContactExtension = Namespace + "/StructureDefinition/request-contact";
    public const string ErasedExtension = Namespace + "/StructureDefinition/erased";

    public const string ConsentScopeSystem = "http://terminology.hl7.org/CodeSystem/consentscope";
    public const string ActCodeSystem = "http://terminology.hl7.org/v3/ActCode";
    public const string LoincSystem = "http://loinc.org";
    public const string ParticipationTypeSystem = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";

    /// <summary>The Patchwork code system's concepts: each code and what it means.</summary>
    public static IReadOnlyList<(string Code, string Display, string Definition)> Concepts { get; } =
    [
        ("involved", "Involved", "A practitioner or duty team of an organisation working with the person (an involvement); the role's own words are the text."),
        ("another-service", "Another service is involved", "A sensitive involvement the reader may not see; a contact request can be sent with the handle in the request-contact extension."),
        ("own-organisation", "Own organisation", "Shown because the involvement is the reader's own organisation's (DESIGN §3 rule 1)."),
        ("team-member-with-consent", "Team member with consent", "Shown under a consent to the reader's organisation or sector (rule 2)."),
        ("team-member-with-sharing-without-consent", "Team member with a lawful basis", "Shown under an approved basis for sharing without consent (rule 2)."),
        ("revealed-contact", "Revealed by its practitioner", "Shown because its practitioner accepted a contact request (refinement 6)."),
        ("break-glass", "Break-glass", "Shown under an emergency break-glass grant (rule 3)."),
        ("general-involvements", "General involvements", "Every involvement not in a sensitive category."),
        ("sharing-without-consent", "Sharing without consent", "A recorded lawful basis other than consent, approved by a manager."),
        ("safeguarding-child", "Safeguarding a child", "Lawful basis: safeguarding a child at risk."),
        ("safeguarding-adult-at-risk", "Safeguarding an adult at risk", "Lawful basis: safeguarding an adult at risk."),
        ("public-task", "Public task", "Lawful basis: a task in the public interest."),
        ("vital-interests", "Vital interests", "Lawful basis: protecting someone's life."),
        ("break-glass-grant", "Break-glass grant", "Emergency access by one practitioner for a few hours, with a written justification."),
    ];

    public static Coding Code(string code) =>
        Concepts.FirstOrDefault(c => c.Code == code) is { Code: not null } concept
            ? new Coding(CodeSystemUrl, concept.Code, concept.Display)
            : throw new ArgumentOutOfRangeException(nameof(code), code, "not a Patchwork code");

    public static string For(SharingRule rule) => rule switch
    {
        SharingRule.OwnOrganisation => "own-organisation",
        SharingRule.TeamMemberWithConsent => "team-member-with-consent",
        SharingRule.TeamMemberWithSharingWithoutConsent => "team-member-with-sharing-without-consent",
        SharingRule.RevealedContact => "revealed-contact",
        SharingRule.BreakGlass => "break-glass",
        _ => throw new ArgumentOutOfRangeException(nameof(rule), rule, "not a rule that shows an involvement"),
    };

    public static string For(LawfulBasis basis) => basis switch
    {
        LawfulBasis.SafeguardingChild => "safeguarding-child",
        LawfulBasis.SafeguardingAdultAtRisk => "safeguarding-adult-at-risk",
        LawfulBasis.PublicTask => "public-task",
        LawfulBasis.VitalInterests => "vital-interests",
        _ => throw new ArgumentOutOfRangeException(nameof(basis), basis, "an unknown lawful basis"),
    };

    /// <summary>The code system itself, as a resource (validated in the tests with everything else Patchwork makes).</summary>
    public static CodeSystem CodeSystem() => new()
    {
        Id = "patchwork",
        Url = CodeSystemUrl,
        Name = "PatchworkCodes",
        Title = "Patchwork codes",
        Status = PublicationStatus.Active,
        Experimental = false,
        Description = "The few codes Patchwork's FHIR resources need where no published code system has them.",
        CaseSensitive = true,
        Content = CodeSystemContentMode.Complete,
        Concept = [.. Concepts.Select(c => new CodeSystem.ConceptDefinitionComponent { Code = c.Code, Display = c.Display, Definition = c.Definition })],
    };
}
