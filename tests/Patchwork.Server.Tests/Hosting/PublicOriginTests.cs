using System.Net;
using System.Net.Mail;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Hosting;
using Patchwork.Core;
using Patchwork.Server.SignIn;
using Patchwork.Server.Tests.SignIn;

namespace Patchwork.Server.Tests.Hosting;

public sealed class PublicOriginServer : SignInServer
{
    public const string Origin = "https://patchwork.example";

    protected override void AddSettings(Dictionary<string, string> settings) => settings["SignIn:PublicBaseUrl"] = Origin;
}

/// <summary>Invitation links point at the configured public origin, never at the Host a request names (issue 19, point 10).</summary>
public sealed class PublicOriginTests(PublicOriginServer server) : IClassFixture<PublicOriginServer>
{
    [Fact]
    public async Task An_invitation_link_uses_the_public_origin_whatever_Host_the_request_names()
    {
        var admin = await server.GivenAccountAsync(Roles.Practitioner | Roles.OrganisationAdmin);
        var (adminBrowser, _, _) = await server.EnrolledAsync(admin);
        var email = $"new{Guid.NewGuid():N}@example.org";
        adminBrowser.Http.DefaultRequestHeaders.Host = "attacker.example";

        var invited = await adminBrowser.PostJsonAsync($"/api/v1/organisations/{admin.Organisation.Value}/invitations",
            new { name = "Smith, Jo \"the boss\" <boss@attacker.example>", email, roles = Array.Empty<string>() });

        invited.StatusCode.ShouldBe(HttpStatusCode.Created, await invited.Content.ReadAsStringAsync());
        var mail = server.MailTo(email).ShouldHaveSingleItem();
        mail.ShouldContain(PublicOriginServer.Origin + "/account/invitations/");
        mail.ShouldNotContain("attacker.example/");
        // The display name is one quoted string: its comma, angle brackets and @ do not make another recipient.
        var to = mail.Split("\r\n").Single(line => line.StartsWith("To: ", StringComparison.Ordinal));
        to.ShouldBe($"To: \"Smith, Jo \\\"the boss\\\" <boss@attacker.example>\" <{email}>");
        new MailAddressCollection { to["To: ".Length..] }.ShouldHaveSingleItem().Address.ShouldBe(email);
    }

    [Fact]
    public void In_production_the_host_refuses_to_start_without_a_public_origin()
    {
        using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(host => host.UseEnvironment(Environments.Production));
        var refused = Should.Throw<InvalidOperationException>(() => factory.Server);
        refused.Message.ShouldContain("SignIn:PublicBaseUrl");
    }
}
