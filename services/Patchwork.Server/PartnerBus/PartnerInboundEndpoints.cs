using MassTransit;
using Patchwork.Core;
using Patchwork.Core.Clients;
using Patchwork.Server.Tokens;

namespace Patchwork.Server.PartnerBus;

/// <summary>
/// Listens on the inbound queue of every organisation with an enabled partner system. Refused commands go to the
/// queue's <c>_error</c> queue at once; only a stream that moved under a command is retried, a few times.
/// </summary>
public sealed class PartnerInboundEndpoints(
    IReceiveEndpointConnector connector,
    IPartnerClientDirectory partners,
    EventStore.EventStore store,
    ClientTeamReader teams,
    PartnerCommandAudit audit,
    IServiceProvider services,
    TimeProvider clock,
    ILogger<PartnerInboundEndpoints> log) : IHostedService
{
    private readonly Dictionary<OrganisationId, HostReceiveEndpointHandle> _listening = [];
    private readonly SemaphoreSlim _connecting = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private Task _refreshing = Task.CompletedTask;

    /// <summary>
    /// How often this node looks for partner systems registered through another node. The registering node listens at
    /// once; every other node within this interval, so commands never depend on one node staying up.
    /// </summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The largest command body taken, in bytes; a larger one is refused to the error queue. Commands are well under 2 KB;
    /// the broker's own <c>max_message_size</c> (infra) bounds what reaches the node at all.
    /// </summary>
    public int MaxCommandBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// Messages fetched ahead, and handled at once, per partner queue: one partner's flood cannot take every worker, and
    /// one at a time keeps a partner's commands in the order sent (a RecordInvolvement right after its RegisterClient).
    /// </summary>
    public int PrefetchCount { get; set; } = 16;

    public int ConcurrentMessageLimit { get; set; } = 1;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await RefreshAsync(cancellationToken);
        _refreshing = RefreshEveryIntervalAsync(_stopping.Token);
    }

    private async Task RefreshAsync(CancellationToken cancellationToken)
    {
        foreach (var organisation in await partners.OrganisationsWithActiveClientsAsync(cancellationToken))
            await ListenAsync(organisation, cancellationToken);
    }

    private async Task RefreshEveryIntervalAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(RefreshInterval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                try
                {
                    await RefreshAsync(stopping);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogWarning(e, "Could not look for newly registered partner systems; trying again in {Interval}", RefreshInterval);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>Starts listening for one organisation (at start, and when its first partner system is provisioned).</summary>
    public async Task ListenAsync(OrganisationId organisation, CancellationToken cancellationToken)
    {
        // Two admins registering systems at once must not connect one queue twice.
        await _connecting.WaitAsync(cancellationToken);
        try
        {
            await ConnectAsync(organisation, cancellationToken);
        }
        finally
        {
            _connecting.Release();
        }
    }

    private async Task ConnectAsync(OrganisationId organisation, CancellationToken cancellationToken)
    {
        if (_listening.ContainsKey(organisation)) return;
        var names = new PartnerBrokerNames(organisation.Value);
        var handle = connector.ConnectReceiveEndpoint(names.InboundQueue, (_, endpoint) =>
        {
            if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit)
            {
                rabbit.SetQuorumQueue();
                rabbit.ConfigureConsumeTopology = false;
            }
            endpoint.PrefetchCount = PrefetchCount;
            endpoint.ConcurrentMessageLimit = ConcurrentMessageLimit;
            // No one consumes Fault<T> here, and publishing one would carry the partner's user_id too.
            endpoint.PublishFaults = false;
            var refusals = new PartnerErrorQueue(organisation, audit);
            endpoint.ConfigureError(error => error.UseFilter(refusals));
            endpoint.ConfigureDeadLetter(skipped => skipped.UseFilter(refusals));
            endpoint.UseMessageRetry(retry =>
            {
                retry.Ignore<PartnerCommandRejected>();
                retry.Intervals(100, 500, 1000);
            });
            // The client's one write pipeline, as the API's: the policy, FetchForWriting, the append and the inbox row in one transaction.
            var pipeline = new ClientCommandPipeline(store, teams, services.GetRequiredService<Core.Access.PolicyOptions>(), clock, services.GetService<ClientIdentityVault>());
            endpoint.Consumer(() => new PartnerCommandConsumer(organisation, store, teams, pipeline, partners,
                services.GetRequiredService<Domain.PractitionerDirectory>(), audit, services.GetService<ClientIdentityVault>(), clock)
            {
                MaxCommandBytes = MaxCommandBytes,
            });
        });
        await handle.Ready.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        _listening[organisation] = handle;
        log.LogInformation("Listening for partner commands on {Queue}", names.InboundQueue);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _refreshing;
        foreach (var (organisation, handle) in _listening)
        {
            try
            {
                await handle.StopAsync(cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Seen once in CI: MassTransit 8.4's ReceiveEndpoint.Stop threw NullReferenceException for an endpoint connected
                // at run time. The bus stops every endpoint it holds when it stops next, so one endpoint's failure must not
                // keep the others listening or fail the host's shutdown.
                log.LogWarning(e, "Stopping the partner command endpoint of organisation {Organisation} failed; the bus stops it with itself", organisation.Value);
            }
        }
    }
}
