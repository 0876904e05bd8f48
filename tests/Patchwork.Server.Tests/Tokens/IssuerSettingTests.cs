using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Hosting;

namespace Patchwork.Server.Tests.Tokens;

/// <summary>
/// Outside Development the token server's issuer must be configured: its default (http://localhost) would be the iss of
/// every token and the aud partners must address their assertions to, whatever origin the server is really at (issue 22).
/// That a Production host with the issuer set does start is shown by every host run as Production: the server processes
/// (<c>ServerProcessStart</c>) and the browser tests' <c>WebServer</c>.
/// </summary>
public sealed class IssuerSettingTests
{
    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public void Outside_development_the_host_refuses_to_start_without_an_issuer_and_says_which_setting(string environment)
    {
        using var factory = Host(environment, issuer: null);

        var refused = Should.Throw<InvalidOperationException>(() => factory.Server);

        refused.Message.ShouldContain("Tokens:Issuer is required outside Development");
        refused.Message.ShouldContain(environment);
    }

    [Fact]
    public void In_production_an_issuer_that_is_set_but_blank_is_refused_as_missing()
    {
        using var factory = Host("Production", issuer: "  ");

        Should.Throw<InvalidOperationException>(() => factory.Server).Message.ShouldContain("Tokens:Issuer is required");
    }

    private static WebApplicationFactory<Program> Host(string environment, string? issuer) =>
        new WebApplicationFactory<Program>().WithWebHostBuilder(host =>
        {
            host.UseEnvironment(environment);
            // Production's other required setting, so the issuer is what is missing.
            host.UseSetting("SignIn:PublicBaseUrl", "https://patchwork.example");
            if (issuer is not null) host.UseSetting("Tokens:Issuer", issuer);
        });
}
