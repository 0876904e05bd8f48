using System.Globalization;
using Hl7.Fhir.Model;
using Patchwork.Core;
using Patchwork.Core.Access;
using Patchwork.Core.Consents;
using Patchwork.Core.SharingWithoutConsent;
using FhirConsent = Hl7.Fhir.Model.Consent;
using Involvement = Patchwork.Core.Involvements.Involvement;

namespace Patchwork.Server.Fhir;

/// <summary>
/// Patchwork's records as FHIR R4 resources: pure functions of what the policy has already decided to show, so no
/// resource can hold more than the API's answer to the same caller.
/// </summary>
public static class FhirResources
{
    /// <summary>What a Patient search shows: our id and the identifier the caller searched by — less than the API's search.</summary>
    public static Patient PatientMatch(ClientId client, string nhsNumber) => new()
    {
        Id = client.Value.ToString(),
        Identifier = [new Identifier(FhirCodes.NhsNumberSystem, nhsNumber)],
    };

    /// <summary>
    /// The team exactly as <see cref="AccessPolicy.TeamOf"/> showed it: each visible involvement a participant whose member is
    /// a contained PractitionerRole (role, organisation, telecom, period); each masked entry a participant with no member and
    /// the request-contact extension holding its handle — nothing else.
    /// </summary>
    public static CareTeam CareTeam(TeamView team, Partnership partnership)
    {
        ArgumentNullException.ThrowIfNull(team);
        return CareTeam(team.Client, team.Visible.Select(v => (v.Involvement, (Coding?)FhirCodes.Code(FhirCodes.For(v.Rule)), (string?)null)),
            team.Masked.Select(m => m.Handle), partnership);
    }

    /// <summary>
    /// The team as a subject access export holds it: every involvement it holds, ended ones with their end, each with its
    /// practitioner's name where known, and the masked entries ("another service is involved") as the exporter sees them.
    /// </summary>
    public static CareTeam CareTeam(ClientId client, IEnumerable<Involvement> involvements, IEnumerable<MaskedHandle> masked, Partnership partnership,
        Func<Involvement, string?> practitionerName) =>
        CareTeam(client, involvements.OrderBy(i => i.Start).ThenBy(i => i.Id.Value).Select(i => (i, (Coding?)null, practitionerName(i))), masked, partnership);

    private static CareTeam CareTeam(ClientId client, IEnumerable<(Involvement Involvement, Coding? Rule, string? Name)> shown, IEnumerable<MaskedHandle> masked,
        Partnership partnership)
    {
        ArgumentNullException.ThrowIfNull(partnership);
        var members = shown.ToList();
        var careTeam = new CareTeam
        {
            Id = client.Value.ToString(),
            Status = Hl7.Fhir.Model.CareTeam.CareTeamStatus.Active,
            Name = "Who else works with this person",
            Subject = new ResourceReference("Patient/" + client.Value),
        };
        foreach (var organisation in members.Select(v => v.Involvement.Organisation).Distinct().OrderBy(o => o.Value))
            careTeam.Contained.Add(Organization(organisation, partnership));
        foreach (var (involvement, rule, name) in members)
        {
            careTeam.Contained.Add(Role(involvement, name));
            var role = new CodeableConcept { Coding = [FhirCodes.Code("involved")], Text = involvement.Role };
            if (rule is not null) role.Coding.Add(rule);
            careTeam.Participant.Add(new CareTeam.ParticipantComponent
            {
                Role = [role],
                Member = new ResourceReference("#" + involvement.Id.Value),
                Period = Period(involvement.Start, involvement.End),
            });
        }
        foreach (var handle in masked)
        {
            careTeam.Participant.Add(new CareTeam.ParticipantComponent
            {
                Role = [new CodeableConcept { Coding = [FhirCodes.Code("another-service")], Text = "another service is involved" }],
                Extension = [new Extension(FhirCodes.RequestContactExtension, new FhirString(handle.Value))],
            });
        }
        return careTeam;
    }

    /// <summary>The involvement ids a CareTeam shows (the contained roles' identifiers), for comparing with the API's team.</summary>
    public static IEnumerable<Guid> Members(CareTeam careTeam)
    {
        ArgumentNullException.ThrowIfNull(careTeam);
        return careTeam.Contained.OfType<PractitionerRole>()
            .SelectMany(r => r.Identifier.Where(i => i.System == FhirCodes.InvolvementIdSystem))
            .Select(i => Guid.Parse(i.Value!));
    }

    internal static Organization Organization(OrganisationId organisation, Partnership partnership)
    {
        var known = partnership.Organisations.GetValueOrDefault(organisation);
        var resource = new Organization
        {
            Id = "org-" + organisation.Value,
            Identifier = [new Identifier(FhirCodes.OrganisationIdSystem, organisation.Value.ToString())],
            Name = known?.Name ?? "an organisation of the partnership",
        };
        if (known?.OdsCode is { Length: > 0 } ods) resource.Identifier.Add(new Identifier(FhirCodes.OdsCodeSystem, ods));
        return resource;
    }

    private static PractitionerRole Role(Involvement involvement, string? practitionerName)
    {
        var role = new PractitionerRole
        {
            Id = involvement.Id.Value.ToString(),
            Identifier = [new Identifier(FhirCodes.InvolvementIdSystem, involvement.Id.Value.ToString())],
            Active = involvement.IsActive,
            Period = Period(involvement.Start, involvement.End),
            Organization = new ResourceReference("#org-" + involvement.Organisation.Value),
            Code = [new CodeableConcept { Coding = [FhirCodes.Code("involved")], Text = involvement.Role }],
            Specialty = [new CodeableConcept { Text = involvement.Category.Name }],
        };
        if (involvement.Practitioner is { } practitioner)
            role.Practitioner = new ResourceReference { Identifier = new Identifier(FhirCodes.PractitionerIdSystem, practitioner.Value.ToString()), Display = practitionerName };
        if (involvement.Service is { Length: > 0 } service) role.Specialty.Add(new CodeableConcept { Text = service });
        if (involvement.Contact.Phone is { Length: > 0 } phone)
            role.Telecom.Add(new ContactPoint(ContactPoint.ContactPointSystem.Phone, ContactPoint.ContactPointUse.Work, phone));
        if (involvement.Contact.Email is { Length: > 0 } email)
            role.Telecom.Add(new ContactPoint(ContactPoint.ContactPointSystem.Email, ContactPoint.ContactPointUse.Work, email));
        return role;
    }

    /// <summary>The consents and approved lawful bases <see cref="AccessPolicy.SharingBasesOf"/> lets the caller read.</summary>
    public static IEnumerable<FhirConsent> Consents(ClientId client, SharingBasesView bases, Partnership partnership, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(bases);
        ArgumentNullException.ThrowIfNull(partnership);
        return bases.Consents.Select(c => Consent(client, c, partnership, now))
            .Concat(bases.Bases.Select(b => Basis(client, b, now)));
    }

    public static FhirConsent Consent(ClientId client, Core.Consents.Consent consent, Partnership partnership, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(consent);
        ArgumentNullException.ThrowIfNull(partnership);
        var ends = consent.WithdrawnAt is { } withdrawn && (consent.ExpiresAt is not { } expiry || withdrawn < expiry) ? withdrawn : consent.ExpiresAt;
        return new FhirConsent
        {
            Id = consent.Id.Value.ToString(),
            Status = consent.IsInForce(now) ? FhirConsent.ConsentState.Active : FhirConsent.ConsentState.Inactive,
            Scope = new CodeableConcept(FhirCodes.ConsentScopeSystem, "patient-privacy", "Privacy Consent"),
            Category = [new CodeableConcept(FhirCodes.LoincSystem, "59284-0", "Patient Consent")],
            Patient = new ResourceReference("Patient/" + client.Value),
            DateTime = Instant(consent.GivenAt),
            Performer = [new ResourceReference { Display = consent.GivenBy switch
            {
                ConsentGiver.Client => "the person themself",
                ConsentGiver.PersonWithParentalResponsibility => "a person with parental responsibility",
                _ => "a legal representative",
            } }],
            PolicyRule = new CodeableConcept(FhirCodes.ActCodeSystem, "OPTIN", "opt-in"),
            Provision = new FhirConsent.provisionComponent
            {
                Type = FhirConsent.ConsentProvisionType.Permit,
                Period = new Period { Start = Instant(consent.GivenAt), End = ends is { } end ? Instant(end) : null },
                Actor = [new FhirConsent.provisionActorComponent
                {
                    Role = new CodeableConcept(FhirCodes.ParticipationTypeSystem, "IRCP", "information recipient"),
                    Reference = Recipient(consent.Scope, partnership),
                }],
                Code = Categories(consent.Categories),
            },
        };
    }

    /// <summary>A lawful basis for sharing without consent; one still awaiting a manager's approval is proposed.</summary>
    public static FhirConsent Basis(ClientId client, SharingWithoutConsentBasis basis, DateTimeOffset now) => new()
    {
        Id = basis.Id.Value.ToString(),
        Status = basis.IsInForce(now) ? FhirConsent.ConsentState.Active
            : basis.ApprovedAt is null && now < basis.ExpiresAt ? FhirConsent.ConsentState.Proposed : FhirConsent.ConsentState.Inactive,
        Scope = new CodeableConcept(FhirCodes.ConsentScopeSystem, "patient-privacy", "Privacy Consent"),
        Category = [new CodeableConcept { Coding = [FhirCodes.Code("sharing-without-consent")], Text = "sharing without consent, on a lawful basis" }],
        Patient = new ResourceReference("Patient/" + client.Value),
        DateTime = basis.ApprovedAt is { } approved ? Instant(approved) : null,
        PolicyRule = new CodeableConcept { Coding = [FhirCodes.Code(FhirCodes.For(basis.Basis))] },
        Provision = new FhirConsent.provisionComponent
        {
            Type = FhirConsent.ConsentProvisionType.Permit,
            Period = new Period { Start = basis.ApprovedAt is { } start ? Instant(start) : null, End = Instant(basis.ExpiresAt) },
            // A basis reaches every team member, and general involvements only (DESIGN §3 rule 2).
            Code = [new CodeableConcept { Coding = [FhirCodes.Code("general-involvements")] }],
        },
    };

    /// <summary>The person objects to sharing with an organisation or sector: a Consent that denies it (opt-out), inactive once withdrawn.</summary>
    public static FhirConsent Objection(ClientId client, Core.Objections.Objection objection, Partnership partnership, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(objection);
        return new FhirConsent
        {
            Id = objection.Id.Value.ToString(),
            Status = objection.IsInForce(now) ? FhirConsent.ConsentState.Active : FhirConsent.ConsentState.Inactive,
            Scope = new CodeableConcept(FhirCodes.ConsentScopeSystem, "patient-privacy", "Privacy Consent"),
            Category = [new CodeableConcept { Coding = [FhirCodes.Code("objection")], Text = "objection to sharing" }],
            Patient = new ResourceReference("Patient/" + client.Value),
            DateTime = Instant(objection.RecordedAt),
            PolicyRule = new CodeableConcept(FhirCodes.ActCodeSystem, "OPTOUT", "opt-out"),
            Provision = new FhirConsent.provisionComponent
            {
                Type = FhirConsent.ConsentProvisionType.Deny,
                Period = new Period { Start = Instant(objection.RecordedAt), End = objection.WithdrawnAt is { } withdrawn ? Instant(withdrawn) : null },
                Actor = [new FhirConsent.provisionActorComponent
                {
                    Role = new CodeableConcept(FhirCodes.ParticipationTypeSystem, "IRCP", "information recipient"),
                    Reference = Recipient(objection.Scope, partnership),
                }],
            },
        };
    }

    private static ResourceReference Recipient(SharingScope scope, Partnership partnership) =>
        scope.Organisation is { } organisation
            ? new ResourceReference
            {
                Type = "Organization",
                Identifier = new Identifier(FhirCodes.OrganisationIdSystem, organisation.Value.ToString()),
                Display = partnership.Organisations.GetValueOrDefault(organisation)?.Name,
            }
            : new ResourceReference { Display = $"every organisation of the {SectorName(scope.Sector)} sector in the partnership" };

    private static string SectorName(Sector? sector) => sector switch
    {
        Sector.SocialCare => "social care",
        null => "named",
        { } other => other.ToString().ToLowerInvariant(),
    };

    private static List<CodeableConcept> Categories(CategoryScope categories)
    {
        var codes = new List<CodeableConcept>();
        if (categories.IncludesGeneral) codes.Add(new CodeableConcept { Coding = [FhirCodes.Code("general-involvements")] });
        codes.AddRange(categories.Named.OrderBy(n => n.Name, StringComparer.Ordinal).Select(n => new CodeableConcept { Text = n.Name }));
        return codes;
    }

    public static Period Period(DateOnly start, DateOnly? end) => new()
    {
        Start = start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        End = end?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
    };

    public static string Instant(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>A searchset: every entry a match, each with its absolute address under <paramref name="baseUrl"/>.</summary>
    public static Bundle SearchSet(string baseUrl, IReadOnlyList<Resource> matches, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(matches);
        var bundle = new Bundle
        {
            Id = Guid.CreateVersion7(now).ToString(),
            Type = Bundle.BundleType.Searchset,
            Total = matches.Count,
            Meta = new Meta { LastUpdated = now },
        };
        foreach (var match in matches)
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                FullUrl = $"{baseUrl}/{match.TypeName}/{match.Id}",
                Resource = match,
                Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Match },
            });
        return bundle;
    }

    /// <summary>An error as FHIR answers one: one issue, its code, and the field at fault in expression.</summary>
    public static OperationOutcome Outcome(OperationOutcome.IssueType code, string diagnostics, string? field = null)
    {
        var issue = new OperationOutcome.IssueComponent
        {
            Severity = OperationOutcome.IssueSeverity.Error,
            Code = code,
            Diagnostics = diagnostics,
            Details = new CodeableConcept { Text = field is null ? diagnostics : $"{field}: {diagnostics}" },
        };
        if (field is not null) issue.Expression = [field];
        return new OperationOutcome { Id = Guid.CreateVersion7().ToString(), Issue = [issue] };
    }
}
