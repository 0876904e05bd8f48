using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace Patchwork.Server.Tests;

/// <summary>
/// Sets the connection's remote address from a test header, before the host's own middleware runs: the test server has
/// no real remote address, and limits per address need two addresses to be told apart.
/// </summary>
internal sealed class TestRemoteAddress : IStartupFilter
{
    public const string Header = "X-Test-Remote-Address";

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextMiddleware) =>
        {
            if (System.Net.IPAddress.TryParse(context.Request.Headers[Header].ToString(), out var address)) context.Connection.RemoteIpAddress = address;
            return nextMiddleware(context);
        });
        next(app);
    };
}
