using MassTransit;

namespace Patchwork.Server.Messaging;

public static class MessagingExtensions
{
    /// <summary>
    /// MassTransit on RabbitMQ. The host waits until the bus has started, so the broker topology exists
    /// before the node reports ready and before anything is published.
    /// </summary>
    public static WebApplicationBuilder AddPatchworkMessaging(this WebApplicationBuilder builder,
        Action<IBusRegistrationConfigurator>? registerConsumers = null)
    {
        var options = builder.Configuration.GetSection(RabbitMqOptions.Section).Get<RabbitMqOptions>() ?? new RabbitMqOptions();
        builder.Services.AddPatchworkBus(options, registerConsumers);
        return builder;
    }

    /// <summary>The same bus set-up for any host: the server, the relays' tests, tools.</summary>
    public static IServiceCollection AddPatchworkBus(this IServiceCollection services, RabbitMqOptions options,
        Action<IBusRegistrationConfigurator>? registerConsumers = null)
    {
        services.AddSingleton(options);
        services.AddMassTransit(bus =>
        {
            registerConsumers?.Invoke(bus);
            bus.UsingRabbitMq((context, rabbit) =>
            {
                rabbit.Host(options.Host, (ushort)options.Port, options.VirtualHost, host =>
                {
                    host.Username(options.Username);
                    host.Password(options.Password);
                    host.RequestedConnectionTimeout(TimeSpan.FromSeconds(5));
                });
                rabbit.ConfigureEndpoints(context);
            });
        });
        services.Configure<MassTransitHostOptions>(host =>
        {
            host.WaitUntilStarted = true;
            host.StartTimeout = TimeSpan.FromSeconds(60);
            host.StopTimeout = TimeSpan.FromSeconds(30);
        });
        return services;
    }
}
