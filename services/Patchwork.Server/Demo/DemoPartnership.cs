using System.Security.Cryptography;
using System.Text;
using Patchwork.Core;
using Patchwork.Core.Agreements;
using Patchwork.Core.Clients;
using Patchwork.Core.Consents;
using Patchwork.Core.Involvements;
using Patchwork.Core.Organisations;
using Patchwork.Core.Practitioners;
using Patchwork.EventStore;

namespace Patchwork.Server.Demo;

/// <summary>
/// A fictional county partnership for demonstrations (<c>Demo:Seed=true</c>, as <c>./patchwork run</c> sets):
/// five agencies under one sharing agreement, practitioners in each, and clients with teams, consents and one
/// sensitive involvement. Ids are derived from names, so seeding twice finds the first seeding and stops.
/// </summary>
public sealed class DemoPartnership(EventStore.EventStore store, ClientIdentityVault vault, TimeProvider clock, ILogger<DemoPartnership> log)
    : IHostedService
{
    public static readonly Agency SocialCare = new("Wessex County Children's Social Care", Sector.SocialCare);
    public static readonly Agency Police = new("Wessex Constabulary", Sector.Police);
    public static readonly Agency Health = new("Wessex Community Health NHS Trust", Sector.Health);
    public static readonly Agency School = new("Hartfield Academy", Sector.Education);
    public static readonly Agency Refuge = new("Safe Harbour Domestic Abuse Service", Sector.Voluntary);
    public static readonly Agency[] Agencies = [SocialCare, Police, Health, School, Refuge];

    public static readonly Staff SocialWorker = new("Alex Morgan", "Social worker", SocialCare, Roles.Practitioner);
    public static readonly Staff TeamManager = new("Priya Shah", "Team manager", SocialCare, Roles.Practitioner | Roles.Manager);
    public static readonly Staff SocialCareDpo = new("Gareth Lewis", "Data protection officer", SocialCare, Roles.DataProtectionOfficer);
    public static readonly Staff PartnershipAdmin = new("Helen Carter", "Partnership administrator", SocialCare, Roles.PartnershipAdmin | Roles.OrganisationAdmin);
    public static readonly Staff PoliceOfficer = new("Sam Okafor", "Police constable, public protection", Police, Roles.Practitioner);
    public static readonly Staff PoliceSergeant = new("Jo Turner", "Detective sergeant", Police, Roles.Practitioner | Roles.Manager);
    public static readonly Staff SchoolNurse = new("Nadia Rahman", "School nurse", Health, Roles.Practitioner);
    public static readonly Staff SexualHealthNurse = new("Chris Evans", "Sexual health nurse", Health, Roles.Practitioner);
    public static readonly Staff HealthDpo = new("Olu Adeyemi", "Information governance lead", Health, Roles.DataProtectionOfficer);
    public static readonly Staff Teacher = new("Tom Bell", "Designated safeguarding lead", School, Roles.Practitioner);
    public static readonly Staff RefugeWorker = new("Maria Costa", "Independent domestic violence adviser", Refuge, Roles.Practitioner);
    public static readonly Staff[] Everyone =
        [SocialWorker, TeamManager, SocialCareDpo, PartnershipAdmin, PoliceOfficer, PoliceSergeant, SchoolNurse, SexualHealthNurse, HealthDpo, Teacher, RefugeWorker];

    /// <summary>Clients born in 2011 and 2016, in fictional postcodes; one has a sensitive involvement the police cannot see.</summary>
    public static readonly ClientId Ellie = new(Derive("client Ellie"));
    public static readonly ClientId Jayden = new(Derive("client Jayden"));

    private static readonly Guid AgreementStream = Derive("agreement Wessex information sharing agreement");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var today = Calendar.Today(now);
        var admin = new ActedBy(SocialCare.Id, PartnershipAdmin.Id, null);

        await using var partnership = await store.OpenWriteTransactionAsync(EventMetadata.None, cancellationToken);
        foreach (var agency in Agencies)
        {
            partnership.Session.Events.StartStream(agency.Id.Value,
            [
                new OrganisationRegistered(agency.Id, agency.Name, agency.Sector, null, new ContactRoute("01632 960100", null), admin, now),
                .. Everyone.Where(staff => staff.Agency == agency).Select(staff => new PractitionerRegistered(staff.Id, agency.Id, staff.Name,
                    staff.JobTitle, staff.Contact, staff.Roles, null, admin, now)),
            ]);
        }
        partnership.Session.Events.StartStream(AgreementStream, new AgreementMade(new AgreementId(AgreementStream), "Wessex information sharing agreement",
            [.. Agencies.Select(a => a.Id)], CategoryScope.GeneralAnd([.. Category.WellKnown.Where(c => c.IsSensitive)]),
            today.AddYears(-1), today.AddYears(2), admin, now));
        if (!await partnership.CommitAsync(cancellationToken)) return;

        await ClientAsync(Ellie, ClientIdentity.Create("Ellie", "Marsh-Whitfield", new DateOnly(2011, 4, 17), "943 476 5919", "WX1 2AB", null, today).Value,
            [
                Involvement(Ellie, SocialWorker, "allocated social worker", Category.General, today.AddMonths(-3), now),
                Involvement(Ellie, PoliceOfficer, "officer in the case", Category.General, today.AddMonths(-1), now),
                Involvement(Ellie, Teacher, "designated safeguarding lead", Category.General, today.AddMonths(-6), now),
                Involvement(Ellie, SexualHealthNurse, "sexual health nurse", Category.SexualHealth, today.AddDays(-20), now),
                new ConsentRecorded(new ConsentId(Derive("consent Ellie")), Ellie, SharingScope.SectorNamed(Sector.Police), CategoryScope.GeneralOnly,
                    ConsentGiver.PersonWithParentalResponsibility, new ConsentEvidence(EvidenceKind.Written, "signed consent form, March"), null,
                    new ActedBy(SocialCare.Id, SocialWorker.Id, null), now),
                new ConsentRecorded(new ConsentId(Derive("consent Ellie school")), Ellie, SharingScope.OrganisationNamed(School.Id), CategoryScope.GeneralOnly,
                    ConsentGiver.PersonWithParentalResponsibility, new ConsentEvidence(EvidenceKind.Written, "signed consent form, March"), null,
                    new ActedBy(SocialCare.Id, SocialWorker.Id, null), now),
            ], cancellationToken);
        await ClientAsync(Jayden, ClientIdentity.Create("Jayden", "O'Connor", new DateOnly(2016, 9, 2), "401 023 2137", "WX3 4CD", null, today).Value,
            [
                Involvement(Jayden, SchoolNurse, "school nurse", Category.General, today.AddMonths(-2), now),
                Involvement(Jayden, RefugeWorker, "family's domestic abuse adviser", Category.DomesticAbuseSupport, today.AddDays(-40), now),
                new ConsentRecorded(new ConsentId(Derive("consent Jayden")), Jayden, SharingScope.SectorNamed(Sector.Health), CategoryScope.GeneralOnly,
                    ConsentGiver.PersonWithParentalResponsibility, new ConsentEvidence(EvidenceKind.Verbal, "mother, at home visit"), null,
                    new ActedBy(Health.Id, SchoolNurse.Id, null), now),
            ], cancellationToken);
        log.LogInformation("Seeded the demo partnership: {Agencies} agencies, {Practitioners} practitioners, 2 clients", Agencies.Length, Everyone.Length);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task ClientAsync(ClientId client, ClientIdentity identity, object[] events, CancellationToken cancellationToken)
    {
        var registered = await vault.RegisterAsync(client, identity, candidatesSeen: true, cancellationToken);
        if (!registered.IsSuccess || registered.Value is not IdentityRegistration.Registered) return;
        await using var write = await store.OpenWriteTransactionAsync(EventMetadata.None, cancellationToken);
        write.Session.Events.StartStream(client.Value, events);
        // False when the stream already exists: this partnership was seeded before.
        await write.CommitAsync(cancellationToken);
    }

    private static InvolvementRecorded Involvement(ClientId client, Staff staff, string role, Category category, DateOnly start, DateTimeOffset now) =>
        new(new InvolvementId(Derive($"involvement {client} {staff.Name}")), client, staff.Id, role, staff.Agency.Name, category, start,
            staff.Contact, false, new ActedBy(staff.Agency.Id, staff.Id, null), now);

    internal static Guid Derive(string name) => new(SHA256.HashData(Encoding.UTF8.GetBytes("patchwork demo|" + name)).AsSpan(0, 16));

    public sealed record Agency(string Name, Sector Sector)
    {
        public OrganisationId Id { get; } = new(Derive("organisation " + Name));
    }

    public sealed record Staff(string Name, string JobTitle, Agency Agency, Roles Roles)
    {
        public PractitionerId Id { get; } = new(Derive("practitioner " + Name));

        /// <summary>Numbers from Ofcom's range for drama (01632 960xxx) and example.org addresses: nobody real is rung or mailed.</summary>
        public ContactRoute Contact { get; } = new($"01632 960{BitConverter.ToUInt16(Derive("phone " + Name).ToByteArray()) % 1000:000}",
            Name.ToLowerInvariant().Replace(' ', '.') + "@wessex.example.org");
    }
}
