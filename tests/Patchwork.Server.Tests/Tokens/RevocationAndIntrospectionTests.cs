using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Patchwork.Server.Tokens;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.Tokens;

/// <summary>RFC 7009 revocation and RFC 7662 introspection for partner systems, and the pruning of what they leave.</summary>
public sealed class RevocationAndIntrospectionTests(TokenServer server) : IClassFixture<TokenServer>
{
    [Fact]
    public async Task A_partner_introspects_its_own_live_token()
    {
        var partner = await server.GivenPartnerAsync(PartnerScopes.Read);
        var token = await server.AccessTokenFor(partner);

        var response = await IntrospectAsync(partner, token);

        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        var body = JsonDocument.Parse(text).RootElement;
        body.GetProperty("active").GetBoolean().ShouldBeTrue(text);
        body.GetProperty("client_id").GetString().ShouldBe(partner.ClientId, text);
        body.GetProperty("iss").GetString().ShouldBe(TokenServer.IssuerIdentifier, text);
        body.GetProperty("token_type").GetString().ShouldBe("Bearer", text);
        response.Headers.CacheControl.ShouldNotBeNull().NoStore.ShouldBeTrue();
    }

    [Fact]
    public async Task Another_partner_learns_nothing_about_a_token_that_is_not_its_own()
    {
        var owner = await server.GivenPartnerAsync(PartnerScopes.Read);
        var stranger = await server.GivenPartnerAsync(PartnerScopes.Read);
        var token = await server.AccessTokenFor(owner);

        var response = await IntrospectAsync(stranger, token);

        var body = await response.Content.ReadAsStringAsync();
        body.ShouldNotContain(owner.ClientId);
        body.ShouldNotContain(owner.Client.Organisation.Value.ToString());
    }

    [Fact]
    public async Task A_revoked_token_stops_working_at_once_and_introspects_as_inactive()
    {
        var partner = await server.GivenPartnerAsync(PartnerScopes.Read);
        var token = await server.AccessTokenFor(partner);
        var other = await server.AccessTokenFor(partner);
        (await server.WhoAmIAsync(token)).StatusCode.ShouldBe(HttpStatusCode.OK);

        var revoked = await RevokeAsync(partner, token);

        revoked.StatusCode.ShouldBe(HttpStatusCode.OK, await revoked.Content.ReadAsStringAsync());
        (await server.WhoAmIAsync(token)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var introspected = await (await IntrospectAsync(partner, token)).Content.ReadFromJsonAsync<JsonElement>();
        introspected.GetProperty("active").GetBoolean().ShouldBeFalse();
        (await server.WhoAmIAsync(other)).StatusCode.ShouldBe(HttpStatusCode.OK, "revoking one token leaves the partner's others alone");
    }

    [Fact]
    public async Task A_partner_cannot_revoke_another_partners_token()
    {
        var owner = await server.GivenPartnerAsync(PartnerScopes.Read);
        var stranger = await server.GivenPartnerAsync(PartnerScopes.Read);
        var token = await server.AccessTokenFor(owner);

        await RevokeAsync(stranger, token);

        (await server.WhoAmIAsync(token)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Revocation_and_introspection_need_client_authentication()
    {
        var partner = await server.GivenPartnerAsync(PartnerScopes.Read);
        var token = await server.AccessTokenFor(partner);

        var introspect = await server.Http.PostAsync(TokenPaths.Introspection, new FormUrlEncodedContent([new("token", token)]));
        var revoke = await server.Http.PostAsync(TokenPaths.Revocation, new FormUrlEncodedContent([new("token", token)]));

        await Partner.ShouldBeRefusedAsync(introspect);
        await Partner.ShouldBeRefusedAsync(revoke);
        (await server.WhoAmIAsync(token)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Revoked_token_rows_and_spent_assertion_ids_are_pruned_once_past_retention()
    {
        var partner = await server.GivenPartnerAsync(PartnerScopes.Read);
        var token = await server.AccessTokenFor(partner);
        (await RevokeAsync(partner, token)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await RowsAsync("openiddict_token", partner)).ShouldBeGreaterThan(0);
        (await RowsAsync("partner_client_assertion_jti", partner)).ShouldBeGreaterThan(0);

        server.Clock.Advance(TimeSpan.FromHours(2));
        var pruning = server.Services.GetServices<IHostedService>().OfType<TokenPruning>().Single();
        await pruning.PruneAsync(CancellationToken.None);

        (await RowsAsync("partner_client_assertion_jti", partner)).ShouldBe(0);
        (await RowsAsync("openiddict_token", partner, "AND status <> 'valid'")).ShouldBe(0);
    }

    private Task<HttpResponseMessage> IntrospectAsync(Partner caller, string token) =>
        server.Http.PostAsync(TokenPaths.Introspection, Authenticated(caller, token));

    private Task<HttpResponseMessage> RevokeAsync(Partner caller, string token) =>
        server.Http.PostAsync(TokenPaths.Revocation, Authenticated(caller, token));

    private static FormUrlEncodedContent Authenticated(Partner caller, string token) => new(
    [
        new("token", token),
        new("token_type_hint", "access_token"),
        new("client_assertion_type", ClientAssertions.AssertionType),
        new("client_assertion", caller.Assertion()),
    ]);

    private async Task<long> RowsAsync(string table, Partner partner, string condition = "")
    {
        await using var connection = new NpgsqlConnection(LocalServers.PostgresOwner);
        await connection.OpenAsync();
        var column = table == "openiddict_token"
            ? $"application_id = (SELECT id FROM \"{server.SchemaName}\".openiddict_application WHERE client_id = @client)"
            : "client_id = @client";
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM \"{server.SchemaName}\".{table} WHERE {column} {condition}", connection);
        command.Parameters.AddWithValue("client", partner.ClientId);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
