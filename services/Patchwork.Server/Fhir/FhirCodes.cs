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
    public const string LocalReferenceSystem = Namespace + "/Id/local-reference";

    public const string DicomSystem = "http://dicom.nema.org/resources/ontology/DCM";
    public const string AuditEventTypeSystem = "http://terminology.hl7.org/CodeSystem/audit-event-type";
    public const string RestfulInteractionSystem = "http://hl7.org/fhir/restful-interaction";
    public const string AuditSourceTypeSystem = "http://terminology.hl7.org/CodeSystem/security-source-type";
    public const string AuditEntityTypeSystem = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
    public const string ObjectRoleSystem = "http://terminology.hl7.org/CodeSystem/object-role";
    public const string ActReasonSystem = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
    public const string DataOperationSystem = "http://terminology.hl7.org/CodeSystem/v3-DataOperation";
    public const string ProvenanceParticipantSystem = "http://terminology.hl7.org/CodeSystem/provenance-participant-type";

    public const string ConsentScopeSystem = "http://terminology.hl7.org/CodeSystem/consentscope";
    public const string ActCodeSystem = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
    public const string LoincSystem = "http://loinc.org";
    public const string ParticipationTypeSystem = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";

    /// <summary>
    /// The actions Patchwork's audit entries name about a client, as the subtype of their AuditEvents (beside the published
    /// type): its own acts, for which no published code system has words.
    /// </summary>
    public static IReadOnlyDictionary<string, string> AuditActions { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["client.register"] = "Registered the person",
        ["client.search"] = "Found the person in a search",
        ["client.list"] = "Saw the person in their list of clients",
        ["client.team.read"] = "Looked at who works with the person",
        ["client.consents.read"] = "Looked at the person's consents and lawful bases",
        ["client.audit.read"] = "Looked at who viewed the person's record",
        ["client.export"] = "Exported what is held about the person",
        ["client.erase"] = "Erased the person's personal details",
        ["involvement.record"] = "Recorded working with the person",
        ["involvement.change"] = "Changed the details of working with the person",
        ["involvement.end"] = "Recorded that work with the person ended",
        ["consent.record"] = "Recorded the person's consent",
        ["consent.withdraw"] = "Recorded that consent was withdrawn",
        ["objection.record"] = "Recorded the person's objection",
        ["objection.withdraw"] = "Recorded that an objection was withdrawn",
        ["sharing-without-consent.request"] = "Asked to share without consent",
        ["sharing-without-consent.approve"] = "Approved sharing without consent",
        ["break-glass.grant"] = "Used emergency access",
        ["attention.raise"] = "Raised concern about the person with the team",
        ["contact.request"] = "Asked to contact another service",
        ["contact.answer"] = "Answered a request to be contacted",
        ["thread.start"] = "Started a conversation about the person",
        ["thread.post"] = "Wrote in a conversation about the person",
        ["thread.read"] = "Read a conversation about the person",
        ["thread.list"] = "Looked at the conversations about the person",
        ["thread.mark-read"] = "Marked a conversation as read",
        ["thread.withdraw"] = "Withdrew a message about the person",
    };

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
        ("objection", "Objection", "The person objects to sharing with an organisation or a sector."),
        ("channel-api", "The API", "Channel: Patchwork's HTTP API, by a practitioner's session or a partner system's token."),
        ("channel-web", "The web pages", "Channel: Patchwork's pages in a practitioner's browser."),
        ("channel-bus", "The partner message bus", "Channel: a partner system's command over the message bus."),
        ("channel-hub", "The live feed", "Channel: the live notice feed to a practitioner's browser."),
        ("channel-fhir", "The FHIR door", "Channel: the FHIR R4 read door for partner systems, or the FHIR subject access export."),
        .. AuditActions.Select(a => (a.Key, a.Value, "Audit entry action \"" + a.Key + "\": " + a.Value.ToLowerInvariant() + ".")),
    ];


    /// <summary>The Patchwork code for an audit channel.</summary>
    public static Coding Channel(string channel) => Code("channel-" + channel.ToLowerInvariant());

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
