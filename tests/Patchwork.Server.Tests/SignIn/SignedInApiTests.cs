using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Patchwork.Server.Tests.SignIn;

/// <summary>
/// The domain API reached with a real session (password, then the authenticator's code), not the API tests'
/// test-only scheme: the claims sign-in issues are the ones the API's actor and the access policy read.
/// </summary>
public sealed class SignedInApiTests(SignInServer server) : IClassFixture<SignInServer>
{
    [Fact]
    public async Task A_signed_in_practitioner_registers_a_client_records_their_involvement_and_sees_it_in_the_team()
    {
        var account = await server.GivenAccountAsync();
        var anonymous = server.NewBrowser();
        (await anonymous.Http.GetAsync($"/api/v1/clients/{Guid.CreateVersion7()}/team?purpose=check")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        var (browser, _, _) = await server.EnrolledAsync(account);
        var newClient = new { givenNames = "Robin", familyName = "Signed-In-" + Guid.NewGuid().ToString("N")[..8], dateOfBirth = "2015-02-03" };
        var forged = await browser.PostJsonAsync("/api/v1/clients", newClient, withAntiforgery: false);
        forged.StatusCode.ShouldBe(HttpStatusCode.BadRequest, "a change made with the session cookie alone could come from another site");
        var registered = await browser.PostJsonAsync("/api/v1/clients", newClient);
        registered.StatusCode.ShouldBe(HttpStatusCode.Created, await registered.Content.ReadAsStringAsync());
        var client = (await registered.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("clientId").GetGuid();

        var recorded = await browser.PostJsonAsync($"/api/v1/clients/{client}/involvements", new
        {
            role = "allocated social worker", category = "general",
            start = DateOnly.FromDateTime(DateTime.UtcNow.AddDays(-1)).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            contact = new { phone = "01632 960111", email = "robin.worker@example.org" },
        });
        recorded.StatusCode.ShouldBe(HttpStatusCode.Created, await recorded.Content.ReadAsStringAsync());

        var team = await browser.Http.GetAsync($"/api/v1/clients/{client}/team?purpose=allocation");
        team.StatusCode.ShouldBe(HttpStatusCode.OK, await team.Content.ReadAsStringAsync());
        var body = await team.Content.ReadAsStringAsync();
        body.ShouldContain(account.Practitioner.Value.ToString());
        body.ShouldContain("robin.worker@example.org");
    }
}
