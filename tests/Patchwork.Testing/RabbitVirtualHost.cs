using System.Net.Http.Headers;
using System.Text;

namespace Patchwork.Testing;

/// <summary>
/// A RabbitMQ virtual host of its own for one test class, made through the management API with the
/// application user's permissions and deleted afterwards, so parallel classes never share queues.
/// </summary>
public sealed class RabbitVirtualHost : IAsyncLifetime
{
    private readonly HttpClient _management;

    public RabbitVirtualHost()
    {
        _management = new HttpClient { BaseAddress = LocalServers.RabbitManagementUrl, Timeout = TimeSpan.FromSeconds(30) };
        var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{LocalServers.RabbitAdminUsername}:{LocalServers.RabbitAdminPassword}"));
        _management.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", basic);
    }

    public string Name { get; } = "test-" + Guid.NewGuid().ToString("N")[..12];
    public string Host => LocalServers.RabbitHost;
    public int Port => LocalServers.RabbitPort;
    public string Username => LocalServers.RabbitUsername;
    public string Password => LocalServers.RabbitPassword;

    public async Task InitializeAsync()
    {
        (await _management.PutAsync($"api/vhosts/{Name}", null)).EnsureSuccessStatusCode();
        var permissions = new StringContent("""{"configure":".*","write":".*","read":".*"}""", Encoding.UTF8, "application/json");
        (await _management.PutAsync($"api/permissions/{Name}/{Username}", permissions)).EnsureSuccessStatusCode();
    }

    public async Task DisposeAsync()
    {
        await _management.DeleteAsync($"api/vhosts/{Name}");
        _management.Dispose();
    }
}
