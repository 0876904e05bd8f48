using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Patchwork.Core;
using Patchwork.Server.SignIn;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.SignIn;

/// <summary>Node A of a two-node deployment, caching session checks for ten minutes so only a revocation can end one sooner.</summary>
public class LongCacheServer : SignInServer
{
    protected override void AddSettings(Dictionary<string, string> settings) => settings["SignIn:SessionCheckCacheDuration"] = "00:10:00";
}

/// <summary>Node B: the same database schema as node A, its own process state (cache, data protection, listeners).</summary>
public sealed class SecondNode(string schema) : LongCacheServer
{
    protected override string? ExistingSchema => schema;
}

public sealed class SessionRevocationTests(LongCacheServer nodeA) : IClassFixture<LongCacheServer>
{
    [Theory]
    [InlineData("disabled")]
    [InlineData("signed out everywhere")]
    public async Task An_account_ended_on_one_node_is_refused_at_once_on_another_that_had_it_cached(string how)
    {
        var nodeB = new SecondNode(nodeA.SchemaName);
        await nodeB.InitializeAsync();
        try
        {
        var account = await nodeA.GivenAccountAsync();
        var (browserOnB, _, _) = await nodeB.EnrolledAsync(account);
        (await browserOnB.MeAsync()).StatusCode.ShouldBe(HttpStatusCode.OK, "signed in on node B, and B now caches the account as current");
        (await browserOnB.MeAsync()).StatusCode.ShouldBe(HttpStatusCode.OK);

        await using (var scope = nodeA.Services.CreateAsyncScope())
        {
            var accounts = scope.ServiceProvider.GetRequiredService<PractitionerAccounts>();
            if (how == "disabled") (await accounts.DisableAsync(account.Practitioner, account.Organisation, default)).ShouldBeTrue();
            else await accounts.EndEverySessionAsync((await accounts.FindAsync(account.Practitioner, default))!);
        }
        // Node B cached the session as current for ten minutes; only node A's announcement can end it within a minute (a
        // deadline ten times shorter than the cache, generous enough for a loaded machine).
        await Eventually.Within(TimeSpan.FromSeconds(60), async () => (await browserOnB.MeAsync()).StatusCode == HttpStatusCode.Unauthorized,
            $"node B refuses the session of an account {how} on node A");
        }
        finally
        {
            await nodeB.DisposeAsync();
        }
    }
}
