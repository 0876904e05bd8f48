using System.Security.Cryptography;
using System.Text;
using Patchwork.Core.Access;

namespace Patchwork.Core.Tests.Access;

/// <summary>An agency of the fictional county partnership the scenarios are told in.</summary>
public sealed record Agency(string Name, Sector Sector)
{
    public OrganisationId Id { get; } = new(Named.Guid(Name));

    /// <summary>The agency as its partner system sees the client: the organisation-level view.</summary>
    public Viewer PartnerSystem => Viewer.ForOrganisation(Id);

    public override string ToString() => Name;
}

/// <summary>A practitioner of one agency.</summary>
public sealed record Member(string Name, Agency Agency)
{
    public PractitionerId Id { get; } = new(Named.Guid(Name));

    public Viewer AsViewer => Viewer.ForPractitioner(Id, Agency.Id);

    public Actor.Practitioner Acting(Roles roles = Roles.Practitioner) => new(Id, Agency.Id, roles);

    public override string ToString() => Name;
}

/// <summary>Ids derived from names, so a scenario and its assertion name the same thing without sharing a variable.</summary>
public static class Named
{
    public static Guid Guid(string name) => new(MD5.HashData(Encoding.UTF8.GetBytes(name)));

    public static InvolvementId Involvement(string name) => new(Guid(name));
}

public static class Cast
{
    public static readonly Agency ChildrensSocialCare = new("Shire Children's Social Care", Sector.SocialCare);
    public static readonly Agency Police = new("Shire Constabulary", Sector.Police);
    public static readonly Agency TransportPolice = new("Transport Police", Sector.Police);
    public static readonly Agency HealthTrust = new("Shire Health Trust", Sector.Health);
    public static readonly Agency HighSchool = new("Shire High School", Sector.Education);
    public static readonly Agency RefugeCharity = new("Shire Refuge", Sector.Voluntary);

    public static readonly IReadOnlyList<Agency> Agencies = [ChildrensSocialCare, Police, TransportPolice, HealthTrust, HighSchool, RefugeCharity];

    public static readonly Member SocialWorker = new("Sam the social worker", ChildrensSocialCare);
    public static readonly Member SocialWorkersManager = new("Mo the social work manager", ChildrensSocialCare);
    public static readonly Member PoliceOfficer = new("Pat the police officer", Police);
    public static readonly Member PoliceColleague = new("Chris the police officer's colleague", Police);
    public static readonly Member TransportPoliceOfficer = new("Toni the transport police officer", TransportPolice);
    public static readonly Member SexualHealthNurse = new("Nic the sexual health nurse", HealthTrust);
    public static readonly Member Teacher = new("Terry the teacher", HighSchool);
    public static readonly Member RefugeWorker = new("Robin the refuge worker", RefugeCharity);

    public static readonly InvolvementId SocialWorkersInvolvement = Named.Involvement("social worker's involvement");
    public static readonly InvolvementId PoliceOfficersInvolvement = Named.Involvement("police officer's involvement");
    public static readonly InvolvementId PoliceColleaguesInvolvement = Named.Involvement("police colleague's involvement");
    public static readonly InvolvementId TransportPoliceInvolvement = Named.Involvement("transport police officer's involvement");
    public static readonly InvolvementId TeachersInvolvement = Named.Involvement("teacher's involvement");
    public static readonly InvolvementId SexualHealthNursesInvolvement = Named.Involvement("sexual health nurse's involvement");
    public static readonly InvolvementId RefugeWorkersInvolvement = Named.Involvement("refuge worker's involvement");

    public static readonly ClientId TheClient = new(Named.Guid("the client"));

    /// <summary>A Monday in June, in British Summer Time, as TimeProvider.GetLocalNow() would give it.</summary>
    public static readonly DateTimeOffset Now = new(2025, 6, 2, 10, 0, 0, TimeSpan.FromHours(1));

    public static DateOnly Today => Calendar.Today(Now);

    public static readonly PolicyOptions Options = new(MaskingKey.From(Encoding.UTF8.GetBytes("a masking key for the tests, 32+ bytes long")));
}
