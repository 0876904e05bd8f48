using System.Globalization;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Http.HttpResults;
using Patchwork.Core;
using Patchwork.Core.Clients;
using Patchwork.EventStore;
using Patchwork.Server.Api;
using Patchwork.Server.Api.Audit;
using Patchwork.Server.SignIn;

namespace Patchwork.Server.Fhir;

/// <summary>
/// The subject access export as a FHIR R4 Bundle of type <c>collection</c> (README, "Subject access"): the Patient, the
/// CareTeam, a Consent for each consent, lawful basis and objection, an AuditEvent for each entry of the access log, a
/// Provenance for the erasure if there was one, and a Provenance saying who assembled the export, when and why. A
/// collection, not a document: the page for the person is the readable, printable answer; this is the same answer for
/// another system, and a document's Composition would only repeat the page and claim an attestation no one made.
/// </summary>
public static class SubjectAccessBundle
{
    /// <summary>
    /// <c>GET /api/v1/clients/{id}/export.fhir?purpose=…</c>: the same door as the JSON export (a DPO of an involved
    /// organisation or a partnership admin; 404 for anyone else; 400 naming purpose), audited as an export on channel fhir.
    /// </summary>
    public static async Task<Results<FhirResult, ValidationProblem, ProblemHttpResult>> ExportAsync(HttpContext http, CurrentActor caller, ClientRecords records,
        PractitionerSignInOptions options, ClientId client, string? purpose, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        RequestAudit.MarkChannel(http, Api.Audit.AuditChannel.Fhir);
        var answer = await records.SubjectAccessAsync(http, caller, client, purpose, cancellationToken);
        if (answer.Refusal is { } refused) return ApiProblems.From<FhirResult>(refused);
        return new FhirResult(From(answer.Read!, FhirApi.BaseUrl(http, options)));
    }

    public static Bundle From(SubjectAccessRead read, string baseUrl)
    {
        ArgumentNullException.ThrowIfNull(read);
        var client = read.Client;
        var resources = new List<Resource> { Patient(read) };
        resources.Add(FhirResources.CareTeam(client, read.Sharing.Involvements.Values, read.Masked, read.Partnership,
            i => i.Practitioner is { } p ? read.Practitioners.GetValueOrDefault(p)?.Name : null));
        resources.AddRange(read.Sharing.Consents.Values.OrderBy(c => c.GivenAt).Select(c => FhirResources.Consent(client, c, read.Partnership, read.At)));
        resources.AddRange(read.Sharing.SharingWithoutConsent.Values.OrderBy(b => b.RequestedAt).Select(b => FhirResources.Basis(client, b, read.At)));
        resources.AddRange(read.Sharing.Objections.Values.OrderBy(o => o.RecordedAt).Select(o => FhirResources.Objection(client, o, read.Partnership, read.At)));
        resources.AddRange(read.ShownAudit.Select(a => AuditEvent(read, a.Entry, a.Shown)));
        if (read.Erasure is { } erasure) resources.Add(Erasure(read, erasure));
        resources.Add(Assembled(read, resources));

        var id = Guid.CreateVersion7(read.At);
        var bundle = new Bundle
        {
            Id = id.ToString(),
            Identifier = new Identifier("urn:ietf:rfc:3986", "urn:uuid:" + id),
            Type = Bundle.BundleType.Collection,
            Timestamp = read.At,
            Meta = new Meta { LastUpdated = read.At },
        };
        foreach (var resource in resources)
            bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = $"{baseUrl}/{resource.TypeName}/{resource.Id}", Resource = resource });
        return bundle;
    }

    /// <summary>The person as held: NHS number, name, date of birth, postcode and each organisation's reference; after erasure, our id and the erasure.</summary>
    private static Patient Patient(SubjectAccessRead read)
    {
        var patient = new Patient { Id = read.Client.Value.ToString() };
        if (read.Identity is { } identity)
        {
            if (identity.NhsNumber is { } nhs) patient.Identifier.Add(new Identifier(FhirCodes.NhsNumberSystem, nhs.Digits));
            foreach (var (organisation, reference) in identity.LocalReferences.OrderBy(r => r.Key.Value))
                patient.Identifier.Add(new Identifier(FhirCodes.LocalReferenceSystem, reference)
                {
                    Assigner = new ResourceReference
                    {
                        Identifier = new Identifier(FhirCodes.OrganisationIdSystem, organisation.Value.ToString()),
                        Display = read.OrganisationName(organisation),
                    },
                });
            patient.Name.Add(new HumanName
            {
                Use = HumanName.NameUse.Official,
                Family = identity.FamilyName,
                Given = identity.GivenNames.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            });
            patient.BirthDate = identity.DateOfBirth.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            if (identity.Postcode is { Length: > 0 } postcode) patient.Address.Add(new Address { PostalCode = postcode });
        }
        if (read.Erasure is { } erasure)
        {
            var erased = new Extension { Url = FhirCodes.ErasedExtension };
            erased.Extension.Add(new Extension("erasedAt", new FhirDateTime(erasure.At)));
            if (erasure.Reason is { Length: > 0 } reason) erased.Extension.Add(new Extension("reason", new FhirString(reason)));
            foreach (var what in ClientErasure.Erased) erased.Extension.Add(new Extension("erased", new FhirString(what)));
            patient.Extension.Add(erased);
        }
        return patient;
    }

    /// <summary>
    /// One entry of the access log: who (the practitioner or partner system, and the organisation they acted for), when,
    /// what (DICOM's audit event type, the REST interaction and Patchwork's action), the purpose they stated (with the HL7
    /// purpose of use the act implies), the channel, and allowed or refused with the rule family (rule 11).
    /// </summary>
    private static AuditEvent AuditEvent(SubjectAccessRead read, AuditEntry entry, AuditEntryResponse shown)
    {
        var (type, subtype, action, purposeOfUse) = Meaning(entry.Action);
        var who = entry.Actor.Kind == PrincipalKind.Practitioner
            ? new ResourceReference
            {
                Identifier = new Identifier(FhirCodes.PractitionerIdSystem, entry.Actor.Id.ToString()),
                Display = read.Practitioners.GetValueOrDefault(new PractitionerId(entry.Actor.Id))?.Name ?? "a practitioner",
            }
            : new ResourceReference { Identifier = new Identifier(FhirCodes.PartnerSystemIdSystem, entry.Actor.Id.ToString()), Display = "a partner system" };
        var auditEvent = new AuditEvent
        {
            Id = entry.Id.ToString(),
            Type = type,
            Action = action,
            Recorded = entry.At,
            Outcome = entry.Outcome == AuditOutcome.Allowed ? Hl7.Fhir.Model.AuditEvent.AuditEventOutcome.N0 : Hl7.Fhir.Model.AuditEvent.AuditEventOutcome.N4,
            OutcomeDesc = entry.Outcome == AuditOutcome.Allowed ? $"allowed ({shown.Rule})" : "refused",
            PurposeOfEvent = [new CodeableConcept { Coding = [new Coding(FhirCodes.ActReasonSystem, purposeOfUse)], Text = shown.Purpose }],
            Agent =
            [
                new Hl7.Fhir.Model.AuditEvent.AgentComponent { Who = who, Requestor = true },
                new Hl7.Fhir.Model.AuditEvent.AgentComponent
                {
                    Type = new CodeableConcept(FhirCodes.ParticipationTypeSystem, "RESP", "responsible party"),
                    Who = new ResourceReference
                    {
                        Identifier = new Identifier(FhirCodes.OrganisationIdSystem, entry.Organisation.Value.ToString()),
                        Display = read.OrganisationName(entry.Organisation),
                    },
                    Requestor = false,
                },
            ],
            Source = new Hl7.Fhir.Model.AuditEvent.SourceComponent
            {
                Site = "Patchwork",
                Observer = new ResourceReference { Display = "Patchwork" },
                Type = [SourceType(entry.Channel), FhirCodes.Channel(entry.Channel.ToString())],
            },
            Entity =
            [
                new Hl7.Fhir.Model.AuditEvent.EntityComponent
                {
                    What = new ResourceReference("Patient/" + read.Client.Value),
                    Type = new Coding(FhirCodes.AuditEntityTypeSystem, "1", "Person"),
                    Role = new Coding(FhirCodes.ObjectRoleSystem, "1", "Patient"),
                },
            ],
        };
        if (subtype is not null) auditEvent.Subtype.Add(subtype);
        if (FhirCodes.AuditActions.ContainsKey(entry.Action)) auditEvent.Subtype.Add(FhirCodes.Code(entry.Action));
        return auditEvent;
    }

    /// <summary>
    /// An action's published codes: the DICOM audit event type (110110 Patient Record, 110106 Export, 110101 Audit Log Used,
    /// 110113 Security Alert for emergency access), the REST interaction or DICOM subtype, the CRUDE action, and the HL7
    /// purpose of use the act implies (coordination of care for every act of the team; break the glass; patient requested
    /// for the subject access export; records management for erasure; operations for reading the access log).
    /// </summary>
    private static (Coding Type, Coding? Subtype, Hl7.Fhir.Model.AuditEvent.AuditEventAction Action, string PurposeOfUse) Meaning(string action)
    {
        Coding Dicom(string code, string display) => new(FhirCodes.DicomSystem, code, display);
        Coding Rest(string code) => new(FhirCodes.RestfulInteractionSystem, code);
        var record = Dicom("110110", "Patient Record");
        return action switch
        {
            "client.export" => (Dicom("110106", "Export"), Rest("read"), Hl7.Fhir.Model.AuditEvent.AuditEventAction.R, "PATRQT"),
            "client.audit.read" => (Dicom("110101", "Audit Log Used"), Rest("read"), Hl7.Fhir.Model.AuditEvent.AuditEventAction.R, "HOPERAT"),
            "client.erase" => (record, Rest("delete"), Hl7.Fhir.Model.AuditEvent.AuditEventAction.D, "RECORDMGT"),
            "break-glass.grant" => (Dicom("110113", "Security Alert"), Dicom("110127", "Emergency Override Started"), Hl7.Fhir.Model.AuditEvent.AuditEventAction.E, "BTG"),
            "client.search" or "client.list" or "thread.list" => (record, Rest("search-type"), Hl7.Fhir.Model.AuditEvent.AuditEventAction.E, "COC"),
            "client.team.read" or "client.consents.read" or "thread.read" => (record, Rest("read"), Hl7.Fhir.Model.AuditEvent.AuditEventAction.R, "COC"),
            "client.register" or "involvement.record" or "consent.record" or "objection.record" or "sharing-without-consent.request" or "thread.start"
                or "thread.post" or "contact.request" or "attention.raise" => (record, Rest("create"), Hl7.Fhir.Model.AuditEvent.AuditEventAction.C, "COC"),
            _ => (record, Rest("update"), Hl7.Fhir.Model.AuditEvent.AuditEventAction.U, "COC"),
        };
    }

    /// <summary>The published kind of source for each channel (the Patchwork channel code beside it says which door exactly).</summary>
    private static Coding SourceType(Api.Audit.AuditChannel channel) => channel switch
    {
        Api.Audit.AuditChannel.Web => new Coding(FhirCodes.AuditSourceTypeSystem, "3", "Web Server"),
        Api.Audit.AuditChannel.Bus => new Coding(FhirCodes.AuditSourceTypeSystem, "2", "Data Interface"),
        _ => new Coding(FhirCodes.AuditSourceTypeSystem, "4", "Application Server"),
    };

    /// <summary>The erasure as what happened to the Patient: deleted (personal data), when, by whom, and the retention decision.</summary>
    private static Provenance Erasure(SubjectAccessRead read, ClientErasure erasure) => new()
    {
        Id = "erasure-" + read.Client.Value,
        Target = [new ResourceReference("Patient/" + read.Client.Value)],
        Recorded = erasure.At,
        Activity = new CodeableConcept(FhirCodes.DataOperationSystem, "DELETE", "delete")
        {
            Text = "Erased: " + string.Join("; ", ClientErasure.Erased) + ". Kept: " + ClientErasure.Kept + ".",
        },
        Reason = [new CodeableConcept { Coding = [new Coding(FhirCodes.ActReasonSystem, "RECORDMGT")], Text = erasure.Reason }],
        Agent = [new Provenance.AgentComponent { Who = new ResourceReference { Display = "the partnership's administrator, for its joint controllers" } }],
    };

    /// <summary>Who assembled this export, for which organisation, when and why; its targets are every other resource in the Bundle.</summary>
    private static Provenance Assembled(SubjectAccessRead read, IEnumerable<Resource> resources) => new()
    {
        Id = Guid.CreateVersion7(read.At).ToString(),
        Target = [.. resources.Select(r => new ResourceReference($"{r.TypeName}/{r.Id}"))],
        Recorded = read.At,
        Reason = [new CodeableConcept { Coding = [new Coding(FhirCodes.ActReasonSystem, "PATRQT")], Text = read.Purpose }],
        Agent =
        [
            new Provenance.AgentComponent
            {
                Type = new CodeableConcept(FhirCodes.ProvenanceParticipantSystem, "assembler", "Assembler"),
                Who = new ResourceReference
                {
                    Identifier = new Identifier(FhirCodes.PractitionerIdSystem, read.Exporter.Id.Value.ToString()),
                    Display = read.Practitioners.GetValueOrDefault(read.Exporter.Id)?.Name,
                },
                OnBehalfOf = new ResourceReference
                {
                    Identifier = new Identifier(FhirCodes.OrganisationIdSystem, read.Exporter.Organisation.Value.ToString()),
                    Display = read.Everything ? "the partnership's joint controllers" : read.OrganisationName(read.Exporter.Organisation),
                },
            },
        ],
    };
}
