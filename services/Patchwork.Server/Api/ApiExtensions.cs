using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Patchwork.Server.Api.Agreements;
using Patchwork.Server.Api.Alerts;
using Patchwork.Server.Api.Audit;
using Patchwork.Server.Api.Clients;
using Patchwork.Server.Api.Involvements;
using Patchwork.Server.Api.Sharing;
using Patchwork.Server.Feed;
using Patchwork.Server.Threads;

namespace Patchwork.Server.Api;

public static class ApiExtensions
{
    public const string Prefix = "/api/v1";

    /// <summary>The versioned domain API: handlers, the audit trail and its tables, idempotency, the caller policy, JSON, limits and OpenAPI.</summary>
    public static WebApplicationBuilder AddPatchworkApi(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddModuleSchema("api", ModuleSchema.ApiScript);
        services.AddSingleton<AuditTrail>();
        services.AddSingleton<RequestAudit>();
        services.AddSingleton<IdempotencyKeys>();
        services.Configure<IdempotencyOptions>(builder.Configuration.GetSection(IdempotencyOptions.Section));
        services.AddHostedService<IdempotencyKeyPruning>();
        services.AddSingleton<Core.Clients.ClientCommandPipeline>();
        services.AddSingleton<Core.Agreements.PartnershipCommandPipeline>();
        services.AddSingleton<ClientCommands>();
        services.AddSingleton<ClientReads>();
        services.AddSingleton<ClientRecords>();
        services.AddSingleton<BreakGlass.BreakGlassReviews>();
        services.AddSingleton<Agreements.PartnershipAgreements>();
        services.AddSingleton<IStartupFilter, SecurityHeaders>();

        services.AddSingleton<IAuthorizationHandler, ApiAuthorization.CallerHandler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, AuditedRefusals>();
        services.AddSingleton<IConfigureOptions<AuthorizationOptions>, ApiAuthorization.ConfigurePolicy>();
        // Binding failures throw, so RequestGuard can answer them as problems naming the field instead of a bare 400.
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        services.Configure<JsonOptions>(json => json.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false)));
        var searches = builder.Configuration.GetValue("Api:SearchesPerMinute", 30);
        services.AddRateLimiter(limiter => limiter.AddPolicy(ClientsApi.SearchRateLimit, new SearchRateLimit(searches)));
        services.AddOpenApi("v1");
        services.AddSingleton<IProblemDetailsWriter, ApiProblemWriter>();
        return builder;
    }

    /// <summary>Maps <c>/api/v1</c> (one Map…Api per slice area) behind the caller policy, and the OpenAPI document at <c>/openapi/v1.json</c>.</summary>
    public static WebApplication MapPatchworkApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // Status codes the framework answers without a body (415 for a wrong content type, 405, 401/403) get a problem document too;
        // sign-in's JSON doors (/account) answer the same way, as their document says.
        app.UseWhen(context => context.Request.Path.StartsWithSegments(Prefix) || context.Request.Path.StartsWithSegments("/account"), api => api
            .UseStatusCodePages()
            .UseMiddleware<RequestGuard>()
            .UseWhen(context => HttpMethods.IsPost(context.Request.Method) && context.Request.Headers.ContainsKey(IdempotentPosts.Header),
                posts => posts.UseMiddleware<IdempotentPosts>()));

        // The framework's form-only antiforgery is off for JSON; CookieAntiforgery checks every change made with a session.
        var api = app.MapGroup(Prefix).RequireAuthorization(ApiAuthorization.Policy).DisableAntiforgery()
            .AddEndpointFilter<CookieAntiforgery>().AnswersProblems();
        api.MapClientsApi();
        api.MapInvolvementsApi();
        api.MapAuditApi();
        api.MapSharingApi();
        BreakGlass.BreakGlassReviewsApi.MapBreakGlassReviewsApi(api);
        api.MapAlertsApi();
        api.MapFeedApi();
        api.MapThreadsApi();
        api.MapAgreementsApi();
        Insight.InsightApi.MapInsightApi(api);
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        return app;
    }

    /// <summary>
    /// The problems any API route may answer besides its handler's own result — the guard's 400, 413 and 415, the caller
    /// policy's 401 and 403, unknown records' 404, concurrency's 409, 412 and 428, an Idempotency-Key reused for another
    /// body's 422, the search limit's 429, an unavailable
    /// dependency's 503 — documented on every route, so a client generated from the document expects them.
    /// </summary>
    public static TBuilder AnswersProblems<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        foreach (var status in ProblemStatuses)
            builder.WithMetadata(new ProducesResponseTypeMetadata(status, typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), ["application/problem+json"]));
        return builder;
    }

    private static readonly int[] ProblemStatuses =
    [
        StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound,
        StatusCodes.Status409Conflict, StatusCodes.Status412PreconditionFailed, StatusCodes.Status413PayloadTooLarge,
        StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status422UnprocessableEntity, StatusCodes.Status428PreconditionRequired, StatusCodes.Status429TooManyRequests,
        StatusCodes.Status503ServiceUnavailable,
    ];
}
