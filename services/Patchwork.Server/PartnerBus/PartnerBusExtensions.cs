using Patchwork.EventStore;

namespace Patchwork.Server.PartnerBus;

public static class PartnerBusExtensions
{
    /// <summary>
    /// The partner relay as an event-store subscription on every node (the leader lock lets one run at a time).
    /// <c>PartnerBus:Relay=false</c> turns it off on a node, for hosts that must not publish.
    /// </summary>
    public static WebApplicationBuilder AddPatchworkPartnerBus(this WebApplicationBuilder builder)
    {
        if (builder.Configuration.GetValue("PartnerBus:Relay", true))
            builder.Services.AddEventSubscription<PartnerRelay>(PartnerRelay.SubscriptionName, options =>
            {
                var chosen = PartnerRelay.Options();
                options.MaxAttempts = chosen.MaxAttempts;
                options.FirstRetryDelay = chosen.FirstRetryDelay;
                options.MaxRetryDelay = chosen.MaxRetryDelay;
            });
        builder.Services.AddSingleton<PartnerInboundEndpoints>();
        builder.Services.AddHostedService(provider => provider.GetRequiredService<PartnerInboundEndpoints>());
        return builder;
    }
}
