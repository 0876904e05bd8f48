using Patchwork.Core;
using Patchwork.Core.Clients;
using Patchwork.Core.Consents;
using Patchwork.Core.SharingWithoutConsent;
using Patchwork.Server.Api.Audit;
using Patchwork.Server.Fhir;
using Patchwork.Web.Desk;

namespace Patchwork.Server.Web;

/// <summary>
/// The subject access export in the words of the person it is about (issue 24): no codes, no rule names, no ids — who worked
/// with them, what was shared with whom and why, and every look at their record with its purpose. Made only of
/// <see cref="SubjectAccessRead"/>, so the page can hold no more than the JSON export and the FHIR Bundle.
/// </summary>
internal static class SubjectAccessWords
{
    public static SubjectAccessCopy Copy(SubjectAccessRead read)
    {
        ArgumentNullException.ThrowIfNull(read);
        var now = read.At;
        var sharing = read.Sharing;
        string Practitioner(PractitionerId? id) => id is { } p && read.Practitioners.GetValueOrDefault(p) is { } known ? known.Name : "a practitioner";

        var person = read.Identity is { } identity
            ? new PersonDetails($"{identity.GivenNames} {identity.FamilyName}", identity.DateOfBirth, identity.NhsNumber?.Digits, identity.Postcode,
                [.. identity.LocalReferences.OrderBy(r => r.Key.Value).Select(r => $"{read.OrganisationName(r.Key)}: {r.Value}")])
            : null;
        var erasure = read.Erasure is { } erased ? new ErasureNote(erased.At, erased.Reason, ClientErasure.Erased, ClientErasure.Kept) : null;

        var team = sharing.Involvements.Values.OrderBy(i => i.Start).ThenBy(i => i.Id.Value)
            .Select(i => new WorkedWith(read.OrganisationName(i.Organisation), i.Role, i.Practitioner is null ? null : Practitioner(i.Practitioner), i.Service, i.Start, i.End))
            .ToList();

        var shared = new List<SharedOnBasis>();
        shared.AddRange(sharing.Consents.Values.OrderBy(c => c.GivenAt).Select(c => new SharedOnBasis(
            With(c.Scope, read), Covers(c.Categories), $"Consent given by {GivenBy(c.GivenBy)} ({Evidence(c.Evidence.Kind)})", null, c.GivenAt,
            c.WithdrawnAt is { } withdrawn ? $"Withdrawn on {Day(withdrawn)}"
            : c.ExpiresAt is { } expires && expires <= now ? $"Ended on {Day(expires)}"
            : c.ExpiresAt is { } until ? $"In force until {Day(until)}" : "In force")));
        shared.AddRange(sharing.SharingWithoutConsent.Values.OrderBy(b => b.RequestedAt).Select(b => new SharedOnBasis(
            "The practitioners working with you, in organisations that have agreed to share",
            "Who works with you, except sensitive services",
            $"Without your consent: {Basis(b.Basis)}", Justifications.Show(read.Justifications, b.Id.Value), b.ApprovedAt ?? b.RequestedAt,
            b.IsInForce(now) ? $"In force until {Day(b.ExpiresAt)}"
            : b.ApprovedAt is null ? (now < b.ExpiresAt ? "Asked for, not yet approved by a manager" : "Asked for, never approved")
            : $"Ended on {Day(b.ExpiresAt)}")));
        shared.AddRange(sharing.Objections.Values.OrderBy(o => o.RecordedAt).Select(o => new SharedOnBasis(
            With(o.Scope, read), "Nothing: you objected to sharing with them", "Your objection", null, o.RecordedAt,
            o.WithdrawnAt is { } withdrawn ? $"Withdrawn on {Day(withdrawn)}" : "In force")));
        shared.AddRange(sharing.Grants.Values.OrderBy(g => g.GrantedAt).Select(g => new SharedOnBasis(
            $"{Practitioner(g.Practitioner)} of {read.OrganisationName(g.Organisation)}", "Everyone who works with you, sensitive services included",
            "Emergency access", Justifications.Show(read.Justifications, g.Id.Value), g.GrantedAt,
            g.IsActive(now) ? $"Until {Day(g.ExpiresAt)}" : $"Ended on {Day(g.ExpiresAt)}")));

        var looks = read.ShownAudit.Select(a => new LookAtRecord(a.Entry.At,
            a.Entry.Actor.Kind == EventStore.PrincipalKind.Practitioner ? Practitioner(new PractitionerId(a.Entry.Actor.Id)) : "Their organisation's own computer system",
            read.OrganisationName(a.Entry.Organisation),
            ToYou(FhirCodes.AuditActions.GetValueOrDefault(a.Entry.Action) ?? "Used the record"),
            a.Shown.Purpose, How(a.Entry.Channel), a.Entry.Outcome == AuditOutcome.Allowed)).ToList();

        return new SubjectAccessCopy(read.Client.Value, read.At, Practitioner(read.Exporter.Id),
            read.Everything ? "the partnership" : read.OrganisationName(read.Exporter.Organisation), read.Everything,
            person, erasure, team, read.Masked.Count, shared, looks);
    }

    /// <summary>The actions' words speak of "the person"; the copy speaks to them.</summary>
    private static string ToYou(string words) => words.Replace("the person's", "your", StringComparison.Ordinal).Replace("the person", "you", StringComparison.Ordinal);

    private static string With(SharingScope scope, SubjectAccessRead read) =>
        scope.Organisation is { } organisation ? read.OrganisationName(organisation) : $"Every {SectorWords(scope.Sector)} organisation in the partnership";

    private static string SectorWords(Sector? sector) => sector switch
    {
        Sector.SocialCare => "social care",
        Sector.Police => "police",
        Sector.Health => "health",
        Sector.Education => "school and education",
        Sector.Housing => "housing",
        Sector.Voluntary => "voluntary",
        _ => "other",
    };

    private static string Covers(CategoryScope categories)
    {
        var named = categories.Named.Select(n => n.Name).Order(StringComparer.Ordinal).ToList();
        return (categories.IncludesGeneral, named.Count) switch
        {
            (true, 0) => "Who works with you, except sensitive services",
            (true, _) => "Who works with you, including " + string.Join(" and ", named),
            (false, _) => "Who works with you in " + string.Join(" and ", named),
        };
    }

    private static string GivenBy(ConsentGiver giver) => giver switch
    {
        ConsentGiver.Client => "you",
        ConsentGiver.PersonWithParentalResponsibility => "a person with parental responsibility for you",
        _ => "your legal representative",
    };

    private static string Evidence(EvidenceKind kind) => kind switch
    {
        EvidenceKind.Written => "in writing",
        EvidenceKind.Verbal => "spoken",
        _ => "electronically",
    };

    private static string Basis(LawfulBasis basis) => basis switch
    {
        LawfulBasis.SafeguardingChild => "to keep a child safe from harm",
        LawfulBasis.SafeguardingAdultAtRisk => "to keep an adult at risk safe from harm",
        LawfulBasis.PublicTask => "to carry out a public duty",
        _ => "to protect someone's life",
    };

    private static string How(AuditChannel channel) => channel switch
    {
        AuditChannel.Web => "on the Patchwork website",
        AuditChannel.Bus or AuditChannel.Fhir => "from their organisation's own computer system",
        AuditChannel.Hub => "in a live update",
        _ => "through Patchwork's connection for computer systems",
    };

    private static string Day(DateTimeOffset at) => Patchwork.Web.Pages.UkTime.Text(at, Patchwork.Web.Pages.UkTime.Date);
}
