using System.Text;
using Patchwork.Server.PartnerBus;
using Patchwork.Testing;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Patchwork.Server.Tests.PartnerBus;

/// <summary>What a partner system's broker credentials let it do, as the real broker enforces it.</summary>
public sealed class PartnerBrokerTopologyTests(RabbitVirtualHost virtualHost) : IClassFixture<RabbitVirtualHost>, IAsyncLifetime
{
    private readonly Guid _organisationA = Guid.CreateVersion7();
    private readonly Guid _organisationB = Guid.CreateVersion7();
    private PartnerBrokerCredentials _partnerA = null!;
    private PartnerBrokerCredentials _partnerB = null!;

    public async Task InitializeAsync()
    {
        using var management = PartnerBrokerTopology.ManagementClient(LocalServers.RabbitManagementUrl, LocalServers.RabbitAdminUsername, LocalServers.RabbitAdminPassword);
        var topology = new PartnerBrokerTopology(management, virtualHost.Name);
        _partnerA = await topology.ProvisionAsync(Guid.CreateVersion7(), _organisationA, default);
        _partnerB = await topology.ProvisionAsync(Guid.CreateVersion7(), _organisationB, default);
    }

    public async Task DisposeAsync()
    {
        using var management = PartnerBrokerTopology.ManagementClient(LocalServers.RabbitManagementUrl, LocalServers.RabbitAdminUsername, LocalServers.RabbitAdminPassword);
        var topology = new PartnerBrokerTopology(management, virtualHost.Name);
        await topology.RevokeAsync(Guid.Parse(_partnerA.Username["partner-".Length..]), default);
        await topology.RevokeAsync(Guid.Parse(_partnerB.Username["partner-".Length..]), default);
    }

    [Fact]
    public async Task A_partner_reads_its_own_notices_and_writes_its_own_inbound_exchange()
    {
        await using (var application = await ConnectAsync(virtualHost.Username, virtualHost.Password))
        await using (var channel = await application.CreateChannelAsync(Confirmed))
            await channel.BasicPublishAsync(_partnerA.Names.NoticeExchange, "", true, new BasicProperties { MessageId = "notice-1" }, "{}"u8.ToArray());

        await using var partner = await ConnectAsync(_partnerA.Username, _partnerA.Password);
        await using var partnerChannel = await partner.CreateChannelAsync(Confirmed);
        var notice = await Eventually.Within(TimeSpan.FromSeconds(10), () => partnerChannel.BasicGetAsync(_partnerA.Names.NoticeQueue, autoAck: true),
            got => got is not null, "the notice in partner A's queue");
        notice!.BasicProperties.MessageId.ShouldBe("notice-1");

        await partnerChannel.BasicPublishAsync(_partnerA.Names.InboundExchange, "", true, new BasicProperties { MessageId = "command-1" }, Encoding.UTF8.GetBytes("{}"));
        await using var reader = await ConnectAsync(virtualHost.Username, virtualHost.Password);
        await using var readerChannel = await reader.CreateChannelAsync();
        var command = await Eventually.Within(TimeSpan.FromSeconds(10), () => readerChannel.BasicGetAsync(_partnerA.Names.InboundQueue, autoAck: true),
            got => got is not null, "partner A's command in its inbound queue");
        command!.BasicProperties.MessageId.ShouldBe("command-1");
    }

    [Fact]
    public async Task A_partner_cannot_read_another_partners_queue()
    {
        await using var partner = await ConnectAsync(_partnerA.Username, _partnerA.Password);
        await using var channel = await partner.CreateChannelAsync();

        var refused = await Should.ThrowAsync<OperationInterruptedException>(() => channel.BasicGetAsync(_partnerB.Names.NoticeQueue, autoAck: true));

        refused.ShutdownReason!.ReplyCode.ShouldBe((ushort)403);
    }

    [Fact]
    public async Task A_partner_cannot_bind_another_partners_exchange_to_a_queue()
    {
        await using var partner = await ConnectAsync(_partnerA.Username, _partnerA.Password);
        await using var channel = await partner.CreateChannelAsync();

        var refused = await Should.ThrowAsync<OperationInterruptedException>(() =>
            channel.QueueBindAsync(_partnerA.Names.NoticeQueue, _partnerB.Names.NoticeExchange, ""));

        refused.ShutdownReason!.ReplyCode.ShouldBe((ushort)403);
    }

    [Fact]
    public async Task A_partner_cannot_declare_queues_of_its_own()
    {
        await using var partner = await ConnectAsync(_partnerA.Username, _partnerA.Password);
        await using var channel = await partner.CreateChannelAsync();

        var refused = await Should.ThrowAsync<OperationInterruptedException>(() => channel.QueueDeclareAsync("eavesdrop", false, true, true));

        refused.ShutdownReason!.ReplyCode.ShouldBe((ushort)403);
    }

    [Fact]
    public async Task A_partner_cannot_publish_commands_as_another_organisation()
    {
        await using var partner = await ConnectAsync(_partnerA.Username, _partnerA.Password);
        await using var channel = await partner.CreateChannelAsync(Confirmed);

        var refused = await Should.ThrowAsync<Exception>(async () =>
        {
            await channel.BasicPublishAsync(_partnerB.Names.InboundExchange, "", true, new BasicProperties(), "{}"u8.ToArray());
            await channel.BasicPublishAsync(_partnerB.Names.InboundExchange, "", true, new BasicProperties(), "{}"u8.ToArray());
        });

        (refused is OperationInterruptedException or AlreadyClosedException or PublishException).ShouldBeTrue(refused.GetType().Name);
        channel.CloseReason.ShouldNotBeNull().ReplyCode.ShouldBe((ushort)403);
    }

    private static CreateChannelOptions Confirmed => new(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true);

    private Task<IConnection> ConnectAsync(string username, string password) => new ConnectionFactory
    {
        HostName = virtualHost.Host,
        Port = virtualHost.Port,
        VirtualHost = virtualHost.Name,
        UserName = username,
        Password = password,
        AutomaticRecoveryEnabled = false,
    }.CreateConnectionAsync();
}
