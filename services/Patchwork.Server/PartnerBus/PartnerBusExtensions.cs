using Patchwork.EventStore;
using Patchwork.Server.Messaging;
using Patchwork.Server.PartnerBus.Registration;
using Patchwork.Server.Tokens;

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
        {
            builder.Services.AddEventSubscription<PartnerRelay>(PartnerRelay.SubscriptionName, options =>
            {
                var chosen = PartnerRelay.Options();
                options.MaxAttempts = chosen.MaxAttempts;
                options.FirstRetryDelay = chosen.FirstRetryDelay;
                options.MaxRetryDelay = chosen.MaxRetryDelay;
            });
            builder.Services.AddSingleton<PartnerExpiryCheck>();
            builder.Services.AddHostedService(provider => provider.GetRequiredService<PartnerExpiryCheck>());
        }
        builder.Services.AddSingleton<PartnerCommandAudit>();
        builder.Services.AddSingleton<PartnerInboundEndpoints>();
        builder.Services.AddHostedService(provider => provider.GetRequiredService<PartnerInboundEndpoints>());

        // Provisioning partners needs the broker's management API; without it, registration answers 503 and the rest runs.
        var management = builder.Configuration.GetSection(RabbitMqOptions.Section);
        builder.Services.AddSingleton(provider => new PartnerSystemRegistry(
            provider.GetRequiredService<IPartnerClientDirectory>(),
            Uri.TryCreate(management["ManagementUrl"], UriKind.Absolute, out var url) && management["AdminUsername"] is { Length: > 0 } admin
                ? new PartnerBrokerTopology(PartnerBrokerTopology.ManagementClient(url, admin, management["AdminPassword"] ?? ""),
                    provider.GetRequiredService<RabbitMqOptions>().VirtualHost)
                : null,
            provider.GetRequiredService<PartnerInboundEndpoints>(),
            provider.GetRequiredService<RabbitMqOptions>(),
            provider.GetRequiredService<ILogger<PartnerSystemRegistry>>()));
        if (builder.Configuration["Demo:PartnerRegistrationFile"] is { Length: > 0 } demoFile)
            builder.Services.AddHostedService(provider => ActivatorUtilities.CreateInstance<Demo.DemoPartnerSystem>(provider, demoFile));
        return builder;
    }

    /// <summary>The organisation admin's partner-system endpoints.</summary>
    public static WebApplication MapPatchworkPartnerBus(this WebApplication app)
    {
        app.MapPartnerSystemsApi();
        return app;
    }
}
