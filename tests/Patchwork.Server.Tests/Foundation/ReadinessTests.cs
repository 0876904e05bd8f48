using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.Foundation;

/// <summary>The node on a broker of its own, which the test kills and restarts.</summary>
public sealed class ReadinessTests(PrivateBroker broker) : IClassFixture<PrivateBroker>
{
    [Fact]
    public async Task Ready_is_200_with_both_servers_up_503_within_5_s_of_the_broker_dying_and_200_after_it_returns()
    {
        await using var server = new WebApplicationFactory<Program>().WithWebHostBuilder(host => host
            .UseSetting("ConnectionStrings:Patchwork", LocalServers.PostgresApp)
            .UseSetting("RabbitMq:Host", broker.Host)
            .UseSetting("RabbitMq:Port", broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .UseSetting("RabbitMq:VirtualHost", broker.VirtualHost)
            .UseSetting("RabbitMq:Username", broker.Username)
            .UseSetting("RabbitMq:Password", broker.Password));
        using var client = server.CreateClient();

        (await client.GetAsync("/health/live")).StatusCode.ShouldBe(HttpStatusCode.OK);
        await Eventually.Within(TimeSpan.FromSeconds(30), async () => await ReadyStatus(client) == HttpStatusCode.OK, "ready with both servers up");

        await broker.KillAsync();
        var sinceKill = Stopwatch.StartNew();
        await Eventually.Within(TimeSpan.FromSeconds(5), async () => await ReadyStatus(client) == HttpStatusCode.ServiceUnavailable, "503 after the broker died");
        sinceKill.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(5));
        var unready = await client.GetAsync("/health/ready");
        unready.Headers.RetryAfter.ShouldNotBeNull();
        (await unready.Content.ReadAsStringAsync()).ShouldContain("rabbitmq");

        await broker.StartAsync();
        await Eventually.Within(TimeSpan.FromSeconds(90), async () => await ReadyStatus(client) == HttpStatusCode.OK, "ready again after the broker restarted");
    }

    private static async Task<HttpStatusCode> ReadyStatus(HttpClient client) => (await client.GetAsync("/health/ready")).StatusCode;
}
