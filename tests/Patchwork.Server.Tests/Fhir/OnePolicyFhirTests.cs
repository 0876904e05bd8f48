using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Patchwork.Server.Demo;
using Patchwork.Server.Fhir;
using Patchwork.Server.Tests.Api;
using Patchwork.Server.Tokens;
using static Patchwork.Server.Tests.Api.AuthorizationMatrixTests;

namespace Patchwork.Server.Tests.Fhir;

/// <summary>
/// One policy, proven across doors: for a partner system of every organisation of the partnership (the FHIR door's
/// viewers are organisations), FHIR's CareTeam shows exactly the API team's members and masked handles — or both
/// answer 404 — and a withdrawn consent or an ended involvement changes both at the same read.
/// </summary>
public sealed class OnePolicyFhirTests(ApiServer server) : IClassFixture<ApiServer>
{
    [Fact]
    public async Task Every_organisations_care_team_equals_its_API_team_and_a_withdrawn_consent_leaves_both_at_once()
    {
        var world = await World.CreateAsync(server);
        var before = await ViewsAsync(world.Client);
        before[DemoPartnership.Police.Name].Members.ShouldContain(world.Involvements["SocialWorker"]);

        // The police sector's consent goes: the police organisation loses Social Care's and the school's involvements.
        (await server.As(DemoPartnership.SocialWorker).PostAsync($"/api/v1/clients/{world.Client}/consents/{world.PoliceConsent}/withdraw", null))
            .EnsureSuccessStatusCode();
        var after = await ViewsAsync(world.Client);
        after[DemoPartnership.Police.Name].Members.Order().ShouldBe(new[] { world.Involvements["PoliceOfficer"], world.Involvements["Newcomer"] }.Order());
        after[DemoPartnership.SocialCare.Name].Members.ShouldBe(before[DemoPartnership.SocialCare.Name].Members);
    }

    [Fact]
    public async Task An_ended_involvement_ends_its_organisations_view_of_the_others_in_both_doors_at_once()
    {
        var world = await World.CreateAsync(server);
        var before = await ViewsAsync(world.Client);
        before[DemoPartnership.School.Name].Members.Count.ShouldBe(4);

        // The school's only involvement ends: its relationship ends at once (rule 5); its own record stays, with its end date.
        (await server.As(DemoPartnership.Teacher).PostAsJsonAsync($"/api/v1/clients/{world.Client}/involvements/{world.Involvements["Teacher"]}/end", new { }))
            .EnsureSuccessStatusCode();
        var after = await ViewsAsync(world.Client);
        after[DemoPartnership.School.Name].Members.ShouldBe([world.Involvements["Teacher"]]);
        after[DemoPartnership.School.Name].Masked.ShouldBeEmpty();
        // Others still see the school's ended involvement, in both doors alike (ViewsAsync compared them).
        after[DemoPartnership.Police.Name].Members.ShouldContain(world.Involvements["Teacher"]);
    }

    private sealed record View(int Status, List<Guid> Members, List<string> Masked);

    /// <summary>Each organisation's view through both doors, asserted equal; the FHIR one is returned.</summary>
    private async Task<Dictionary<string, View>> ViewsAsync(Guid client)
    {
        var views = new Dictionary<string, View>();
        var differences = new List<string>();
        foreach (var organisation in DemoPartnership.Agencies)
        {
            var partner = await server.AsPartnerOf(organisation.Id, [.. PartnerScopes.All]);
            var api = await ApiViewAsync(partner, client);
            var fhir = await FhirViewAsync(partner, client);
            if (api.Status != fhir.Status || !api.Members.Order().SequenceEqual(fhir.Members.Order()) || !api.Masked.Order().SequenceEqual(fhir.Masked.Order()))
                differences.Add($"{organisation.Name}: API {api.Status} [{string.Join(", ", api.Members)}] masked {api.Masked.Count}; " +
                                $"FHIR {fhir.Status} [{string.Join(", ", fhir.Members)}] masked {fhir.Masked.Count}");
            views[organisation.Name] = fhir;
        }
        differences.ShouldBeEmpty(string.Join(Environment.NewLine, differences));
        views[DemoPartnership.Refuge.Name].Status.ShouldBe(404, "the positive control of a hidden client: the refuge has no involvement");
        return views;
    }

    private static async Task<View> ApiViewAsync(HttpClient partner, Guid client)
    {
        using var response = await partner.GetAsync($"/api/v1/clients/{client}/team?purpose=one%20policy");
        if (response.StatusCode != HttpStatusCode.OK) return new((int)response.StatusCode, [], []);
        var team = await response.Content.ReadFromJsonAsync<JsonElement>();
        return new(200, [.. team.GetProperty("involvements").EnumerateArray().Select(i => i.GetProperty("involvementId").GetGuid())],
            [.. team.GetProperty("masked").EnumerateArray().Select(m => m.GetProperty("handle").GetString()!)]);
    }

    private static async Task<View> FhirViewAsync(HttpClient partner, Guid client)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/fhir/r4/CareTeam?patient={client}");
        request.Headers.Add(FhirApi.PurposeHeader, "one policy");
        using var response = await partner.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK) return new((int)response.StatusCode, [], []);
        var bundle = FhirValidation.ShouldBeValid<Hl7.Fhir.Model.Bundle>(body);
        var careTeam = (Hl7.Fhir.Model.CareTeam)bundle.Entry.ShouldHaveSingleItem().Resource!;
        return new(200, [.. FhirResources.Members(careTeam)],
            [.. careTeam.Participant.Where(p => p.Member is null).Select(p => ((Hl7.Fhir.Model.FhirString)p.Extension.Single().Value!).Value!)]);
    }
}
