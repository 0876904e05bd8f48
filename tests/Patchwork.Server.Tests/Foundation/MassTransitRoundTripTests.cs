using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Patchwork.Server.Messaging;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.Foundation;

public sealed class MassTransitRoundTripTests(RabbitVirtualHost virtualHost) : IClassFixture<RabbitVirtualHost>
{
    [Fact]
    public async Task A_message_published_on_the_bus_is_consumed_through_the_real_broker()
    {
        var received = new TaskCompletionSource<FoundationPing>(TaskCreationOptions.RunContinuationsAsynchronously);
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton(received);
        builder.Services.AddPatchworkBus(
            new RabbitMqOptions
            {
                Host = virtualHost.Host, Port = virtualHost.Port, VirtualHost = virtualHost.Name,
                Username = virtualHost.Username, Password = virtualHost.Password,
            },
            bus => bus.AddConsumer<FoundationPingConsumer>());
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var sent = new FoundationPing(Guid.CreateVersion7(), "hello over AMQP");
            await host.Services.GetRequiredService<IBus>().Publish(sent);

            var got = await received.Task.WaitAsync(TimeSpan.FromSeconds(15));

            got.ShouldBe(sent);
            (await QueuesIn(virtualHost.Name)).ShouldContain(queue => queue.Contains("FoundationPing", StringComparison.Ordinal));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private static async Task<string[]> QueuesIn(string vhost)
    {
        using var management = new HttpClient { BaseAddress = LocalServers.RabbitManagementUrl };
        management.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{LocalServers.RabbitAdminUsername}:{LocalServers.RabbitAdminPassword}")));
        var queues = await management.GetFromJsonAsync<QueueRow[]>($"api/queues/{vhost}");
        return queues!.Select(queue => queue.Name).ToArray();
    }

    private sealed record QueueRow(string Name);
}

public sealed record FoundationPing(Guid Id, string Text);

public sealed class FoundationPingConsumer(TaskCompletionSource<FoundationPing> received) : IConsumer<FoundationPing>
{
    public Task Consume(ConsumeContext<FoundationPing> context)
    {
        received.TrySetResult(context.Message);
        return Task.CompletedTask;
    }
}
