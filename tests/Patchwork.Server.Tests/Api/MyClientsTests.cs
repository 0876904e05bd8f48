using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Patchwork.Core;
using Patchwork.Core.Involvements;
using Patchwork.EventStore;
using Patchwork.Server.Demo;
using Patchwork.Web.Desk;

namespace Patchwork.Server.Tests.Api;

/// <summary>
/// DESIGN §3, "every door goes through it": the home page's "my clients" lists a client only where the policy shows the
/// practitioner their own active involvement of their own organisation — an involvement that merely carries their id
/// (as the take-over holes of issue 18 produced) lists nothing, and so reveals no name or date of birth.
/// </summary>
public sealed class MyClientsTests(ApiServer server) : IClassFixture<ApiServer>
{
    [Fact]
    public async Task My_clients_lists_only_what_the_policy_shows_me_as_my_own_involvement()
    {
        var mine = await server.GivenNewClientAsync("MyOwn" + Guid.NewGuid().ToString("N")[..8]);
        var plantedOnMe = await server.GivenNewClientAsync("Planted" + Guid.NewGuid().ToString("N")[..8]);
        var officer = DemoPartnership.PoliceOfficer;
        await AppendAsync(mine, Involvement(mine, officer.Id, officer.Agency.Id));
        // Recorded by Social Care in the officer's name: the officer's id, another organisation's involvement.
        await AppendAsync(plantedOnMe, Involvement(plantedOnMe, officer.Id, DemoPartnership.SocialCare.Id));

        var listed = await MyClientsAsync(officer);

        // The demo's Ellie is the officer's client too; the planted client is not.
        listed.Select(c => c.Client).ShouldBe([mine, DemoPartnership.Ellie], ignoreOrder: true);
        listed.Select(c => c.Client).ShouldNotContain(plantedOnMe);
    }

    private async Task<IReadOnlyList<MyClient>> MyClientsAsync(DemoPartnership.Staff staff)
    {
        await using var scope = server.Services.CreateAsyncScope();
        var accessor = scope.ServiceProvider.GetRequiredService<IHttpContextAccessor>();
        var user = new ClaimsPrincipal(new ClaimsIdentity(
        [
            new Claim("pw:practitioner", staff.Id.Value.ToString()), new Claim("pw:org", staff.Agency.Id.Value.ToString()),
            .. staff.Roles.ToString().Split(", ").Select(role => new Claim("pw:role", role)),
        ], "test"));
        accessor.HttpContext = new DefaultHttpContext { User = user, RequestServices = scope.ServiceProvider };
        try
        {
            return await scope.ServiceProvider.GetRequiredService<IClientDesk>().MyClientsAsync(default);
        }
        finally
        {
            accessor.HttpContext = null;
        }
    }

    private async Task AppendAsync(ClientId client, object @event)
    {
        await using var write = await server.Services.GetRequiredService<EventStore.EventStore>().OpenWriteTransactionAsync(EventMetadata.None);
        write.Session.Events.Append(client.Value, @event);
        (await write.CommitAsync(CancellationToken.None)).ShouldBeTrue();
    }

    private static InvolvementRecorded Involvement(ClientId client, PractitionerId practitioner, OrganisationId organisation) =>
        new(InvolvementId.New(), client, practitioner, "officer in the case", null, Category.General, DateOnly.FromDateTime(DateTime.UtcNow.AddDays(-1)),
            new ContactRoute("01632 960444", null), false, new ActedBy(organisation, practitioner, null), DateTimeOffset.UtcNow);
}
