using System.Net;
using System.Reflection;
using Microsoft.AspNetCore.SignalR;
using Patchwork.Server.Demo;
using Patchwork.Server.Feed;
using Patchwork.Server.Tokens;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.Api;

/// <summary>
/// Every field of the audit entry a read leaves (DESIGN.md §2): actor, organisation, action, client, time, channel, stated
/// purpose, outcome and rule, each read from its column, for reads over the API by a practitioner (allowed and refused),
/// by a partner system, and for a search. Page reads are checked the same way in the web tests
/// (<c>ReadPurposeJourneyTests</c>), bus commands in <c>PartnerCommandsTests</c>; the hub reads nothing (last test).
/// </summary>
public sealed class AuditFieldsTests(ApiServer server) : IClassFixture<ApiServer>
{
    private static readonly Guid Ellie = DemoPartnership.Ellie.Value;

    [Fact]
    public async Task A_practitioners_team_read_is_audited_with_every_field()
    {
        var purpose = "strategy meeting " + Guid.NewGuid().ToString("N")[..6];
        var (entry, before, after) = await OneEntryAsync("client.team.read",
            () => server.As(DemoPartnership.PoliceOfficer).GetAsync($"/api/v1/clients/{Ellie}/team?purpose={Uri.EscapeDataString(purpose)}"), HttpStatusCode.OK);

        entry.Practitioner.ShouldBe(DemoPartnership.PoliceOfficer.Id.Value);
        entry.PartnerSystem.ShouldBeNull();
        ShouldName(entry, DemoPartnership.Police.Id.Value, purpose, "allowed", before, after);
    }

    [Fact]
    public async Task A_refused_team_read_is_audited_with_every_field_and_the_purpose_it_stated()
    {
        var purpose = "welfare check " + Guid.NewGuid().ToString("N")[..6];
        var (entry, before, after) = await OneEntryAsync("client.team.read",
            () => server.As(DemoPartnership.RefugeWorker).GetAsync($"/api/v1/clients/{Ellie}/team?purpose={Uri.EscapeDataString(purpose)}"), HttpStatusCode.NotFound);

        entry.Practitioner.ShouldBe(DemoPartnership.RefugeWorker.Id.Value);
        entry.PartnerSystem.ShouldBeNull();
        ShouldName(entry, DemoPartnership.Refuge.Id.Value, purpose, "denied", before, after);
    }

    [Fact]
    public async Task A_partner_systems_team_read_names_the_system_not_a_practitioner()
    {
        var police = await server.AsPartnerOf(DemoPartnership.Police.Id, PartnerScopes.Read);
        var purpose = "case review " + Guid.NewGuid().ToString("N")[..6];
        var (entry, before, after) = await OneEntryAsync("client.team.read",
            () => police.GetAsync($"/api/v1/clients/{Ellie}/team?purpose={Uri.EscapeDataString(purpose)}"), HttpStatusCode.OK);

        entry.Practitioner.ShouldBeNull();
        entry.PartnerSystem.ShouldNotBeNull();
        ShouldName(entry, DemoPartnership.Police.Id.Value, purpose, "allowed", before, after);
    }

    [Fact]
    public async Task A_search_is_audited_with_its_purpose_and_the_one_client_it_found()
    {
        var purpose = "home visit " + Guid.NewGuid().ToString("N")[..6];
        var (entry, before, after) = await OneEntryAsync("client.search",
            () => server.As(DemoPartnership.SchoolNurse).GetAsync(
                $"/api/v1/clients?familyName=Marsh-Whitfield&dateOfBirth=2011-04-17&purpose={Uri.EscapeDataString(purpose)}"), HttpStatusCode.OK);

        entry.Practitioner.ShouldBe(DemoPartnership.SchoolNurse.Id.Value);
        entry.Organisation.ShouldBe(DemoPartnership.SchoolNurse.Agency.Id.Value);
        entry.Client.ShouldBe(Ellie, "a search that found exactly one client names it, so that client's who-viewed shows the search");
        entry.Channel.ShouldBe("api");
        entry.Purpose.ShouldBe(purpose);
        entry.Outcome.ShouldBe("allowed");
        entry.At.ShouldBeInRange(before, after);
    }

    [Fact]
    public void The_feed_hub_reads_nothing_a_browser_could_ask_for_and_its_notices_carry_ids_only()
    {
        // The hub is server-to-browser only: no method a connection can invoke, so no read to audit there. What it pushes
        // names ids, a kind, a position and a time; the browser then reads the client through the audited API.
        typeof(FeedHub).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(method => method.GetBaseDefinition().DeclaringType == typeof(FeedHub)).ShouldBeEmpty();
        typeof(FeedNoticeResponse).GetProperties().Select(p => p.PropertyType)
            .ShouldAllBe(type => type == typeof(Guid) || type == typeof(Guid?) || type == typeof(long) || type == typeof(string) || type == typeof(DateTimeOffset));
        typeof(FeedNoticeResponse).GetProperties().Where(p => p.PropertyType == typeof(string)).Select(p => p.Name).ShouldBe(["Kind"]);
        typeof(Hub).IsAssignableFrom(typeof(FeedHub)).ShouldBeTrue();
    }

    /// <summary>The fields every read of Ellie over the API names: organisation, client, channel, purpose, outcome, rule, time.</summary>
    private static void ShouldName(AuditRow entry, Guid organisation, string purpose, string outcome, DateTimeOffset before, DateTimeOffset after)
    {
        entry.Organisation.ShouldBe(organisation);
        entry.Client.ShouldBe(Ellie);
        entry.Channel.ShouldBe("api");
        entry.Purpose.ShouldBe(purpose);
        entry.Outcome.ShouldBe(outcome);
        entry.Rule.ShouldNotBeNullOrWhiteSpace();
        entry.At.ShouldBeInRange(before, after);
    }

    /// <summary>Makes the request and returns the one entry of that action it added, with the times either side of it.</summary>
    private async Task<(AuditRow Entry, DateTimeOffset Before, DateTimeOffset After)> OneEntryAsync(string action, Func<Task<HttpResponseMessage>> request, HttpStatusCode expected)
    {
        var known = (await AuditRows.OfAsync(server.Schema, action)).Select(e => e.Id).ToHashSet();
        var before = DateTimeOffset.UtcNow.AddMilliseconds(-1);
        var response = await request();
        var after = DateTimeOffset.UtcNow.AddMilliseconds(1);
        response.StatusCode.ShouldBe(expected, await response.Content.ReadAsStringAsync());
        var added = (await AuditRows.OfAsync(server.Schema, action)).Where(e => !known.Contains(e.Id)).ToList();
        return (added.ShouldHaveSingleItem(), before, after);
    }
}
