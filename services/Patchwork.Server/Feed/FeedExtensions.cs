using MassTransit;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.SignalR;
using Patchwork.Core;
using Patchwork.EventStore;
using Patchwork.Server.Api;
using Patchwork.Server.Api.Audit;
using Patchwork.Server.PartnerBus;
using Patchwork.Server.SignIn;

namespace Patchwork.Server.Feed;

public static class FeedExtensions
{
    public const string HubPath = "/hubs/feed";
    private const string Script = "Patchwork.Server.Feed.feed.sql";

    /// <summary>The notices table, the hub, and the feed relay (a subscription any node may lead; <c>Feed:Relay=false</c> turns it off).</summary>
    public static WebApplicationBuilder AddPatchworkFeed(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddModuleSchema("feed", Script);
        services.AddSingleton<FeedNotices>();
        services.AddSingleton<FeedConnections>();
        services.AddHostedService(provider => provider.GetRequiredService<FeedConnections>());
        services.AddSingleton<IUserIdProvider, PractitionerUserIds>();
        services.AddSignalR(hub =>
        {
            // Nothing comes from the browser but pings: a tiny receive limit keeps an abusive client cheap.
            hub.MaximumReceiveMessageSize = 1024;
            hub.KeepAliveInterval = TimeSpan.FromSeconds(15);
            hub.ClientTimeoutInterval = TimeSpan.FromSeconds(40);
        });
        if (builder.Configuration.GetValue("Feed:Relay", true))
            services.AddEventSubscription<FeedRelay>(FeedRelay.SubscriptionName, options =>
            {
                // A broker outage delays notices and never parks the relay (as for partners).
                var chosen = PartnerRelay.Options();
                options.MaxAttempts = chosen.MaxAttempts;
                options.FirstRetryDelay = chosen.FirstRetryDelay;
                options.MaxRetryDelay = chosen.MaxRetryDelay;
            });
        return builder;
    }

    /// <summary>This node's queue on the feed fan-out: named for the node, and deleted when the node's connection goes.</summary>
    public static void AddFeedConsumer(this IBusRegistrationConfigurator bus, string node)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.AddConsumer<FeedNoticeConsumer>().Endpoint(endpoint =>
        {
            endpoint.Name = "patchwork-feed-" + node;
            endpoint.Temporary = true;
            // One at a time, in the order the broker delivers them (the relay publishes each practitioner's in position
            // order): consumed side by side, a notice needing a policy re-check was overtaken by a later one that did
            // not (a partitioner by practitioner serialises but does not order). Most notices are for someone connected
            // elsewhere and cost a dictionary lookup here.
            endpoint.ConcurrentMessageLimit = 1;
        });
    }

    /// <summary>A node id for the feed queue: host, process and a random part, so a restarted process never reuses a queue.</summary>
    public static string NewNodeId() =>
        $"{new string(Environment.MachineName.Where(char.IsAsciiLetterOrDigit).Take(20).ToArray()).ToLowerInvariant()}-{Environment.ProcessId}-{Guid.NewGuid():N}"[..^20];

    /// <summary>The hub behind the practitioners' cookie and an Origin check; the notice list under the API.</summary>
    public static WebApplication MapPatchworkFeed(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var allowed = app.Configuration.GetSection("Feed:AllowedOrigins").Get<string[]>() ?? [];
        // A browser always sends Origin with a WebSocket; one from another site is cross-site WebSocket hijacking.
        app.UseWhen(context => context.Request.Path.StartsWithSegments(HubPath), hub => hub.Use(async (context, next) =>
        {
            var origin = context.Request.Headers.Origin.ToString();
            var own = $"{context.Request.Scheme}://{context.Request.Host}";
            if (origin.Length > 0 && !string.Equals(origin, own, StringComparison.OrdinalIgnoreCase) && !allowed.Contains(origin, StringComparer.OrdinalIgnoreCase))
            {
                await TypedResults.Problem("this origin may not open the feed", statusCode: StatusCodes.Status403Forbidden, title: "Forbidden origin")
                    .ExecuteAsync(context);
                return;
            }
            await next(context);
        }));
        app.MapHub<FeedHub>(HubPath).RequireAuthorization(PatchworkClaims.PractitionerPolicy);
        return app;
    }

    /// <summary><c>GET /api/v1/notices?after=&amp;limit=</c>: the caller's own notices after a position, oldest first.</summary>
    public static RouteGroupBuilder MapFeedApi(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        api.MapGet("/notices", async Task<Results<Ok<NoticePage>, ValidationProblem, ForbidHttpResult>> (long? after, int? limit, CurrentActor me, FeedNotices notices,
            RequestAudit audit, HttpContext http, CancellationToken ct) =>
        {
            if (after is < 0) return ApiProblems.Invalid("after", "is a position from an earlier notice, 0 or more");
            if (limit is < 1 or > FeedNotices.LargestPage) return ApiProblems.Invalid("limit", $"is between 1 and {FeedNotices.LargestPage}");
            if (me.Actor is not Actor.Practitioner practitioner) return TypedResults.Forbid();
            var page = await notices.PageAsync(practitioner.Id, after ?? 0, limit ?? 50, ct);
            await audit.AllowedAsync(http, me, "notices.read", null, "OwnNotices");
            return TypedResults.Ok(new NoticePage([.. page.Select(FeedNoticeResponse.From)], page.Count > 0 ? page[^1].Position : after ?? 0));
        }).WithName("ListNotices");
        return api;
    }

    public sealed record NoticePage(IReadOnlyList<FeedNoticeResponse> Notices, long Position);
}
