using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.Foundation;

/// <summary>
/// The node on a broker of its own, which the test kills and restarts, and in a schema of its own: what other runs left in
/// the shared default schema (a demo's partner system, say) must not decide this node's readiness.
/// </summary>
public sealed class ReadinessTests(PrivateBroker broker) : IClassFixture<PrivateBroker>
{
    [Fact]
    public async Task Ready_is_200_with_both_servers_up_503_once_the_broker_dies_and_200_after_it_returns()
    {
        var schema = new PostgresSchema();
        await schema.InitializeAsync();
        try
        {
            await using var server = Node(schema);
            using var client = server.CreateClient();

            (await client.GetAsync("/health/live")).StatusCode.ShouldBe(HttpStatusCode.OK);
            await Eventually.Within(TimeSpan.FromSeconds(30), async () => await ReadyStatus(client) == HttpStatusCode.OK, "ready with both servers up");

            await broker.KillAsync();
            // A deadline that holds on a loaded machine: how fast readiness notices is the probe's timeout, not what is proved here.
            await Eventually.Within(TimeSpan.FromSeconds(60), async () => await ReadyStatus(client) == HttpStatusCode.ServiceUnavailable, "503 after the broker died");
            var unready = await client.GetAsync("/health/ready");
            unready.Headers.RetryAfter.ShouldNotBeNull();
            (await unready.Content.ReadAsStringAsync()).ShouldContain("rabbitmq");

            await broker.StartAsync();
            await Eventually.Within(TimeSpan.FromSeconds(90), async () => await ReadyStatus(client) == HttpStatusCode.OK, "ready again after the broker restarted");
        }
        finally
        {
            await schema.DisposeAsync();
        }
    }

    private WebApplicationFactory<Program> Node(PostgresSchema schema) => new WebApplicationFactory<Program>().WithWebHostBuilder(host => host
        .UseSetting("ConnectionStrings:Patchwork", LocalServers.PostgresApp)
        .UseSetting("ConnectionStrings:PatchworkOwner", LocalServers.PostgresOwner)
        .UseSetting("EventStore:Schema", schema.Name)
        .UseSetting("Tokens:Schema", schema.Name)
        .UseSetting("RabbitMq:Host", broker.Host)
        .UseSetting("RabbitMq:Port", broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture))
        .UseSetting("RabbitMq:VirtualHost", broker.VirtualHost)
        .UseSetting("RabbitMq:Username", broker.Username)
        .UseSetting("RabbitMq:Password", broker.Password));

    private static async Task<HttpStatusCode> ReadyStatus(HttpClient client) => (await client.GetAsync("/health/ready")).StatusCode;
}
