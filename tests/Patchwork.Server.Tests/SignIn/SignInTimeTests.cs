using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Patchwork.Core;
using Patchwork.Server.SignIn;

namespace Patchwork.Server.Tests.SignIn;

public sealed class MovableClockServer : SignInServer
{
    protected override bool UsesMovableClock => true;
}

public sealed class InvitationExpiryTests(MovableClockServer server) : IClassFixture<MovableClockServer>
{
    [Fact]
    public async Task An_invitation_link_expires_after_72_hours()
    {
        var organisation = new OrganisationId(Guid.CreateVersion7());
        await using (var scope = server.Services.CreateAsyncScope())
        {
            var accounts = scope.ServiceProvider.GetRequiredService<PractitionerAccounts>();
            (await accounts.InviteAsync(organisation, new PractitionerId(Guid.CreateVersion7()),
                new NewInvitation(null, "Late Larkin", "late@example.org", Roles.Practitioner), new Uri("https://patchwork.test/"), default))
                .Status.ShouldBe(200);
            (await accounts.InviteAsync(organisation, new PractitionerId(Guid.CreateVersion7()),
                new NewInvitation(null, "Prompt Pryce", "prompt@example.org", Roles.Practitioner), new Uri("https://patchwork.test/"), default))
                .Status.ShouldBe(200);
        }
        var late = Token(server.MailTo("late@example.org").Single());
        var prompt = Token(server.MailTo("prompt@example.org").Single());
        using var browser = server.NewBrowser();

        server.Clock.Advance(TimeSpan.FromHours(71.9));
        (await browser.PostFormAsync($"/account/invitations/{prompt}", new() { ["password"] = SignInServer.StrongPassword })).StatusCode.ShouldBe(HttpStatusCode.Created);
        server.Clock.Advance(TimeSpan.FromHours(0.2));
        (await browser.PostFormAsync($"/account/invitations/{late}", new() { ["password"] = SignInServer.StrongPassword })).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    private static string Token(string mail) =>
        mail[(mail.IndexOf("/account/invitations/", StringComparison.Ordinal) + "/account/invitations/".Length)..].Split('\r', '\n')[0];
}

public sealed class TightSignInLimitServer : SignInServer
{
    protected override int AttemptsPerWindow => 3;
}

public sealed class SignInRateLimitTests(TightSignInLimitServer server) : IClassFixture<TightSignInLimitServer>
{
    [Fact]
    public async Task Sign_in_attempts_beyond_the_limit_get_429_with_Retry_After()
    {
        using var browser = server.NewBrowser();
        var form = new Dictionary<string, string> { ["email"] = "nobody@example.org", ["password"] = "whatever it is here" };
        for (var attempt = 0; attempt < 3; attempt++)
            (await browser.PostFormAsync("/account/sign-in", new(form))).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        var limited = await browser.PostFormAsync("/account/sign-in", new(form));

        limited.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        limited.Headers.RetryAfter.ShouldNotBeNull();
        (await browser.MeAsync()).StatusCode.ShouldBe(HttpStatusCode.Unauthorized, "other endpoints are not limited by the sign-in policy");
    }

    [Fact]
    public async Task The_sign_in_pages_share_the_limit_per_address_with_the_api()
    {
        using var browser = server.NewBrowser(from: IPAddress.Parse("192.0.2.44"));
        var statuses = new List<HttpStatusCode>();
        for (var attempt = 0; attempt < 25; attempt++)
        {
            statuses.Add((await browser.PostFormAsync("/sign-in",
                new() { ["email"] = $"dpo{attempt}@example.org", ["password"] = "a guess at the password" })).StatusCode);
        }

        statuses.Take(3).ShouldAllBe(status => status == HttpStatusCode.OK);
        statuses.Skip(3).ShouldAllBe(status => status == HttpStatusCode.TooManyRequests);
        foreach (var page in new[] { "/sign-in/code", "/sign-in/recovery-code", "/sign-in/enrol" })
        {
            var limited = await browser.PostFormAsync(page, new() { ["code"] = "123456" });
            limited.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests, page);
            limited.Headers.RetryAfter.ShouldNotBeNull();
        }
        (await browser.PostFormAsync("/account/sign-in", new() { ["email"] = "dpo@example.org", ["password"] = "a guess at the password" }))
            .StatusCode.ShouldBe(HttpStatusCode.TooManyRequests, "pages and API draw on one allowance per address");
        (await browser.Http.GetAsync("/sign-in")).StatusCode.ShouldBe(HttpStatusCode.OK, "showing the form is not an attempt");
        using var elsewhere = server.NewBrowser(from: IPAddress.Parse("192.0.2.45"));
        (await elsewhere.PostFormAsync("/sign-in", new() { ["email"] = "dpo@example.org", ["password"] = "a guess at the password" }))
            .StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}

public sealed class SignInSchemaTests(SignInServer server) : IClassFixture<SignInServer>
{
    private static readonly string[] IdentityTables = ["identity_user", "identity_user_claim", "identity_user_login", "identity_user_token", "identity_invitation"];

    [Fact]
    public async Task The_identity_tables_migrate_again_harmlessly_and_the_application_role_reads_every_entity_through_ef()
    {
        await using (var owner = Npgsql.NpgsqlDataSource.Create(Patchwork.Testing.LocalServers.PostgresOwner))
            await SignInSchemaMigration.MigrateAsync(owner, server.SchemaName, default);
        var account = await server.GivenAccountAsync();

        await using var scope = server.Services.CreateAsyncScope();
        var database = scope.ServiceProvider.GetRequiredService<SignInDbContext>();
        var users = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToListAsync(database.Users);
        users.ShouldContain(user => user.PractitionerId == account.Practitioner.Value, "the account made before the second migration is still there");
        _ = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToListAsync(database.UserClaims);
        _ = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToListAsync(database.UserLogins);
        _ = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToListAsync(database.UserTokens);
        _ = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToListAsync(database.Invitations);
    }

    [Fact]
    public async Task The_application_role_reads_and_writes_the_identity_tables_rows_and_can_change_nothing_else_about_them()
    {
        await using var app = new Npgsql.NpgsqlConnection(Patchwork.Testing.LocalServers.PostgresApp);
        await app.OpenAsync();
        var schema = $"\"{server.SchemaName}\"";

        // The positive control: rows go in, change, are read and go out as the application role.
        var invitation = Guid.CreateVersion7();
        (await ExecuteAsync(app, $"INSERT INTO {schema}.identity_invitation (id, token_hash, organisation_id, practitioner_id, display_name, email, roles, " +
            $"invited_by, created_at, expires_at) VALUES ('{invitation}', '{Guid.NewGuid():N}', gen_random_uuid(), gen_random_uuid(), 'Test', 'x@example.org', 1, " +
            "gen_random_uuid(), now(), now())")).ShouldBe(1);
        (await ExecuteAsync(app, $"UPDATE {schema}.identity_invitation SET display_name = 'Changed' WHERE id = '{invitation}'")).ShouldBe(1);
        (await ExecuteAsync(app, $"DELETE FROM {schema}.identity_invitation WHERE id = '{invitation}'")).ShouldBe(1);
        foreach (var table in IdentityTables) await ExecuteAsync(app, $"SELECT count(*) FROM {schema}.{table}");

        // Everything else is the owner's: each attempt is refused with insufficient_privilege (42501).
        var forbidden = new List<string> { $"CREATE TABLE {schema}.identity_shadow (id uuid)" };
        foreach (var table in IdentityTables)
        {
            forbidden.Add($"ALTER TABLE {schema}.{table} ADD COLUMN smuggled text");
            forbidden.Add($"DROP TABLE {schema}.{table}");
            forbidden.Add($"TRUNCATE {schema}.{table}");
            forbidden.Add($"CREATE INDEX smuggled_{table} ON {schema}.{table} ((1))");
            forbidden.Add($"CREATE TRIGGER smuggled AFTER INSERT ON {schema}.{table} FOR EACH ROW EXECUTE FUNCTION pg_catalog.suppress_redundant_updates_trigger()");
        }
        foreach (var statement in forbidden)
        {
            var refused = await Should.ThrowAsync<Npgsql.PostgresException>(() => ExecuteAsync(app, statement), statement);
            refused.SqlState.ShouldBe("42501", $"{statement}: {refused.MessageText}");
        }
    }

    private static async Task<int> ExecuteAsync(Npgsql.NpgsqlConnection connection, string sql)
    {
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        return await command.ExecuteNonQueryAsync();
    }
}
