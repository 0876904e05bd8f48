using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Patchwork.Core;
using Patchwork.Core.Clients;
using Patchwork.Server.Api.Audit;
using Patchwork.Server.Demo;
using Patchwork.Server.PartnerBus.Registration;
using Patchwork.Server.Tokens;
using Patchwork.SamplePartner;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.PartnerBus;

/// <summary>The whole server — demo county, identity vault, relay, inbound consumers — on a schema and a virtual host of its own.</summary>
public sealed class SamplePartnerServer : IAsyncLifetime
{
    private readonly PostgresSchema _schema = new();
    private WebApplicationFactory<Program>? _factory;

    public RabbitVirtualHost Broker { get; } = new();

    public IServiceProvider Services => _factory!.Services;

    public async Task InitializeAsync()
    {
        await _schema.InitializeAsync();
        await Broker.InitializeAsync();
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings:Patchwork"] = LocalServers.PostgresApp,
            ["ConnectionStrings:PatchworkOwner"] = LocalServers.PostgresOwner,
            ["EventStore:Schema"] = _schema.Name,
            ["Tokens:Schema"] = _schema.Name,
            ["PersonalData:BlindIndexKey"] = LocalServers.Get("PersonalData__BlindIndexKey"),
            ["PersonalData:KeyRingCertificatePath"] = LocalServers.Get("PersonalData__KeyRingCertificatePath"),
            ["PersonalData:KeyRingCertificatePassword"] = LocalServers.Get("PersonalData__KeyRingCertificatePassword"),
            ["Policy:MaskingKey"] = LocalServers.Get("Policy__MaskingKey"),
            ["Demo:Seed"] = "true",
            ["RabbitMq:Host"] = Broker.Host,
            ["RabbitMq:Port"] = Broker.Port.ToString(CultureInfo.InvariantCulture),
            ["RabbitMq:VirtualHost"] = Broker.Name,
            ["RabbitMq:Username"] = Broker.Username,
            ["RabbitMq:Password"] = Broker.Password,
            ["RabbitMq:ManagementUrl"] = LocalServers.RabbitManagementUrl.ToString(),
            ["RabbitMq:AdminUsername"] = LocalServers.RabbitAdminUsername,
            ["RabbitMq:AdminPassword"] = LocalServers.RabbitAdminPassword,
        };
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(host =>
        {
            foreach (var (key, value) in settings) host.UseSetting(key, value);
            host.ConfigureTestServices(services => services.AddDataProtection().UseEphemeralDataProtectionProvider());
        });
        _ = _factory.Server;
    }

    public async Task DisposeAsync()
    {
        if (_factory is not null) await _factory.DisposeAsync();
        await Broker.DisposeAsync();
        await _schema.DisposeAsync();
    }
}

/// <summary>The sample partner system, run from its entry code, against the real server: commands in, notices out.</summary>
public sealed class SamplePartnerTests(SamplePartnerServer server) : IClassFixture<SamplePartnerServer>
{
    [Fact]
    public async Task The_sample_registers_a_client_records_and_ends_an_involvement_and_hears_both_notices()
    {
        var organisation = DemoPartnership.SocialCare.Id;
        var registered = await server.Services.GetRequiredService<PartnerSystemRegistry>().RegisterAsync(
            new PartnerSystemRequest(organisation, "Sample case system", [PartnerScopes.Read], null, ClientSecret: true), default);
        var broker = registered.Broker;
        var settings = new PartnerSettings(registered.BrokerHost, registered.BrokerPort, broker.VirtualHost, broker.Username, broker.Password,
            broker.Names.NoticeQueue, broker.Names.InboundExchange);

        using var output = new StringWriter(CultureInfo.InvariantCulture);
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var exit = await SampleRun.RunAsync(settings, TextWriter.Synchronized(output), listen: false, deadline.Token);
        var printed = output.ToString();
        exit.ShouldBe(0, printed);

        var client = new ClientId(Guid.Parse(Regex.Match(printed, @"-> RegisterClient client ([0-9a-f-]{36})").Groups[1].Value));
        printed.ShouldContain("<- InvolvementBecameVisible client " + client.Value);
        printed.ShouldContain("<- InvolvementEnded client " + client.Value);

        // The commands took effect for the organisation the queue belongs to, as the system the broker vouched for.
        var (state, _) = await server.Services.GetRequiredService<ClientTeamReader>().LoadAsync(client, default);
        var involvement = state.ShouldNotBeNull().Involvements.Values.ShouldHaveSingleItem();
        involvement.Organisation.ShouldBe(organisation);
        involvement.IsActive.ShouldBeFalse("ended by the sample's EndInvolvement");
        var vault = server.Services.GetRequiredService<ClientIdentityVault>();
        (await vault.SearchAsync(new IdentitySearch.ByLocalReference(organisation, "SAMPLE-" + client.Value.ToString("N")[..8]), default))
            .ShouldHaveSingleItem().Client.ShouldBe(client);
        var audit = await server.Services.GetRequiredService<AuditTrail>().AllAsync(client, default);
        audit.ShouldContain(e => e.Action == "client.register" && e.Channel == AuditChannel.Bus && e.Actor.Id == registered.Client.ClientId.Value);
    }
}
