using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Patchwork.Core;
using Patchwork.Core.Access;
using Patchwork.Core.Clients;
using Patchwork.Server.Demo;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.Demo;

public sealed class DemoPartnershipTests(PostgresSchema schema, RabbitVirtualHost virtualHost) : IClassFixture<PostgresSchema>, IClassFixture<RabbitVirtualHost>
{
    [Fact]
    public async Task The_demo_county_is_seeded_once_with_teams_consents_and_a_sensitive_involvement_the_police_see_only_masked()
    {
        await using (var first = Node())
        {
            var reader = first.Services.GetRequiredService<ClientTeamReader>();
            var officer = Viewer.ForPractitioner(DemoPartnership.PoliceOfficer.Id, DemoPartnership.Police.Id);

            var team = (await reader.TeamAsync(DemoPartnership.Ellie, officer, default)).ShouldNotBeNull();

            team.Visible.Select(v => v.Involvement.Practitioner).ShouldBe(
                [DemoPartnership.SocialWorker.Id, DemoPartnership.PoliceOfficer.Id, DemoPartnership.Teacher.Id], ignoreOrder: true);
            team.Visible.Single(v => v.Involvement.Practitioner == DemoPartnership.SocialWorker.Id).Rule.ShouldBe(SharingRule.TeamMemberWithConsent);
            team.Masked.Length.ShouldBe(1);

            var nurse = Viewer.ForPractitioner(DemoPartnership.SexualHealthNurse.Id, DemoPartnership.Health.Id);
            (await reader.TeamAsync(DemoPartnership.Ellie, nurse, default))!.Visible
                .ShouldContain(v => v.Involvement.Category == Category.SexualHealth && v.Rule == SharingRule.OwnOrganisation);

            var vault = first.Services.GetRequiredService<ClientIdentityVault>();
            (await vault.SearchAsync(new IdentitySearch.ByNameAndBirth("marsh whitfield", new DateOnly(2011, 4, 17)), default))
                .Single().ShouldBe(new SearchMatch(DemoPartnership.Ellie, "Ellie", "Marsh-Whitfield", 2011, "WX1"));
        }

        await using var second = Node();
        await NoIdentityInClearAnywhereAsync();
        var again = second.Services.GetRequiredService<ClientTeamReader>();
        var (ellie, partnership) = await again.LoadAsync(DemoPartnership.Ellie, default);
        ellie.ShouldNotBeNull().Involvements.Count.ShouldBe(4);
        partnership.Organisations.Count.ShouldBe(5);
    }

    /// <summary>
    /// Every table the running system wrote in its schema — events, read models, identity vault, key ring, tokens —
    /// scanned for the demo client's identity in the forms a person or a program would write it.
    /// </summary>
    private async Task NoIdentityInClearAnywhereAsync()
    {
        var everything = await DatabaseScan.EveryRowAsTextAsync(schema.OwnerConnectionString, schema.Name);
        everything.ShouldContain(row => row.StartsWith("client_identity: ", StringComparison.Ordinal));
        everything.ShouldContain(row => row.Contains(DemoPartnership.Ellie.Value.ToString()), "the scan reads the events");
        foreach (var secret in new[] { "Ellie", "Marsh-Whitfield", "Whitfield", "2011-04-17", "17/04/2011", "9434765919", "943 476 5919", "WX1 2AB", "WX12AB", "Jayden", "O'Connor", "4010232137" })
            everything.ShouldNotContain(row => row.Contains(secret, StringComparison.OrdinalIgnoreCase), $"'{secret}' is stored in clear");
    }

    private WebApplicationFactory<Program> Node()
    {
        var node = new WebApplicationFactory<Program>().WithWebHostBuilder(host => host
            .UseSetting("ConnectionStrings:Patchwork", LocalServers.PostgresApp)
            .UseSetting("ConnectionStrings:PatchworkOwner", LocalServers.PostgresOwner)
            .UseSetting("EventStore:Schema", schema.Name)
            .UseSetting("PersonalData:BlindIndexKey", LocalServers.Get("PersonalData__BlindIndexKey"))
            .UseSetting("PersonalData:KeyRingCertificatePath", LocalServers.Get("PersonalData__KeyRingCertificatePath"))
            .UseSetting("PersonalData:KeyRingCertificatePassword", LocalServers.Get("PersonalData__KeyRingCertificatePassword"))
            .UseSetting("Policy:MaskingKey", LocalServers.Get("Policy__MaskingKey"))
            .UseSetting("Demo:Seed", "true")
            .UseSetting("RabbitMq:Host", LocalServers.RabbitHost)
            .UseSetting("RabbitMq:Port", LocalServers.RabbitPort.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .UseSetting("RabbitMq:VirtualHost", virtualHost.Name)
            .UseSetting("RabbitMq:Username", LocalServers.RabbitUsername)
            .UseSetting("RabbitMq:Password", LocalServers.RabbitPassword));
        _ = node.Server; // starts the host: migrations, then the seed
        return node;
    }
}
