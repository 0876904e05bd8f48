using System.Security.Claims;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.RateLimiting;
using Npgsql;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using Patchwork.EventStore;
using Patchwork.Server.Api;
using Patchwork.Server.SignIn;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Patchwork.Server.Tokens;

public static class TokensExtensions
{
    /// <summary>
    /// The partner token server (OpenIddict: client credentials with private_key_jwt or client_secret_basic, RFC 9068
    /// access tokens signed ES256, introspection, revocation, metadata and JWKS), its stores in <see cref="SignInDbContext"/>,
    /// and the <see cref="PartnerAuthorization.Scheme"/> scheme with one policy per scope. The keys are read here, so a
    /// missing or unreadable certificate stops the start, and so does a missing issuer outside Development.
    /// </summary>
    public static WebApplicationBuilder AddPatchworkTokens(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // The default (http://localhost) would put a wrong issuer in every token and make partners address their assertions to it.
        if (!builder.Environment.IsDevelopment() && string.IsNullOrWhiteSpace(builder.Configuration[$"{TokenOptions.Section}:{nameof(TokenOptions.Issuer)}"]))
            throw new InvalidOperationException(
                $"Tokens:Issuer is required outside Development ({builder.Environment.EnvironmentName} here): the public origin partner systems reach the " +
                "token server at (e.g. https://patchwork.example), the iss of every access token and the aud every client assertion must carry.");
        var options = builder.Configuration.GetSection(TokenOptions.Section).Get<TokenOptions>() ?? new TokenOptions();
        options.Validate();
        var certificates = TokenCertificates.Load(options);
        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton(certificates);
        services.AddPartnerClientStore();
        services.AddOpenIddictLogFloor();
        if (builder.Configuration.GetConnectionString("PatchworkOwner") is { Length: > 0 } owner)
            services.AddSchemaMigration(owner, (provider, database, cancellationToken) => TokensSchemaMigration.MigrateAsync(database, provider.GetRequiredService<SignInSchema>().Name, cancellationToken));
        services.AddHostedService<TokenPruning>();
        services.AddHealthChecks().AddCheck<TokenCertificatesReadiness>("token-keys", tags: ["ready"]);

        var requireHttps = options.IssuerUri.Scheme == Uri.UriSchemeHttps && builder.Environment.IsProduction();
        services.AddOpenIddict().AddServer(server =>
        {
            server.SetIssuer(options.IssuerUri);
            server.SetTokenEndpointUris(Relative(TokenPaths.Token))
                .SetIntrospectionEndpointUris(Relative(TokenPaths.Introspection))
                .SetRevocationEndpointUris(Relative(TokenPaths.Revocation))
                .SetConfigurationEndpointUris(Relative(TokenPaths.Metadata), Relative(TokenPaths.OpenIdConfiguration))
                .SetJsonWebKeySetEndpointUris(Relative(TokenPaths.Jwks));
            server.AllowClientCredentialsFlow();
            server.SetAccessTokenLifetime(options.AccessTokenLifetime);
            // RFC 9068 JWS that a resource server verifies from the JWKS alone; OpenIddict still needs an encryption key.
            server.DisableAccessTokenEncryption();
            server.AddSigningKey(certificates.Signing);
            foreach (var published in certificates.PublishedOnly) server.AddSigningKey(published);
            server.AddEncryptionCertificate(certificates.Encryption);
            server.RegisterScopes([.. PartnerScopes.All]);
            // The token endpoint answers a scope the client lacks with invalid_scope itself, naming what it may ask for.
            server.IgnoreScopePermissions();
            server.Configure(settings =>
            {
                settings.ClientAuthenticationMethods.Clear();
                settings.ClientAuthenticationMethods.Add(ClientAuthenticationMethods.PrivateKeyJwt);
                settings.ClientAuthenticationMethods.Add(ClientAuthenticationMethods.ClientSecretBasic);
            });
            foreach (var check in PartnerClientChecks.Descriptors) server.AddEventHandler(check);
            // Metadata names the endpoints at the issuer's origin (the public one), not at whatever host the request came to.
            server.AddEventHandler<OpenIddict.Server.OpenIddictServerEvents.HandleConfigurationRequestContext>(handler => handler
                .UseInlineHandler(context =>
                {
                    context.TokenEndpoint = new Uri(options.IssuerUri, Relative(TokenPaths.Token));
                    context.IntrospectionEndpoint = new Uri(options.IssuerUri, Relative(TokenPaths.Introspection));
                    context.RevocationEndpoint = new Uri(options.IssuerUri, Relative(TokenPaths.Revocation));
                    context.JsonWebKeySetEndpoint = new Uri(options.IssuerUri, Relative(TokenPaths.Jwks));
                    // RFC 8414 §2: required beside private_key_jwt; the algorithms of the keys a partner may register.
                    context.Metadata[Metadata.TokenEndpointAuthSigningAlgValuesSupported] = new OpenIddictParameter(System.Text.Json.JsonSerializer.SerializeToElement(PartnerPublicKey.AssertionAlgorithms));
                    return ValueTask.CompletedTask;
                })
                .SetOrder(OpenIddict.Server.OpenIddictServerHandlers.Discovery.AttachEndpoints.Descriptor.Order - 500));
            // Keys and metadata change only by a deliberate rotation, published a day ahead: caches may keep them an hour.
            server.AddEventHandler<OpenIddict.Server.OpenIddictServerEvents.ApplyJsonWebKeySetResponseContext>(handler => handler
                .UseInlineHandler(PublicForAnHour).SetOrder(int.MinValue + 100_000));
            server.AddEventHandler<OpenIddict.Server.OpenIddictServerEvents.ApplyConfigurationResponseContext>(handler => handler
                .UseInlineHandler(PublicForAnHour).SetOrder(int.MinValue + 100_000));
            var aspNetCore = server.UseAspNetCore().EnableTokenEndpointPassthrough();
            if (!requireHttps) aspNetCore.DisableTransportSecurityRequirement();
        });

        services.AddAuthentication().AddJwtBearer(PartnerAuthorization.Scheme, _ => { });
        services.AddOptions<JwtBearerOptions>(PartnerAuthorization.Scheme)
            .Configure<TokenCertificates, TimeProvider>((bearer, keys, clock) => PartnerBearer.Configure(bearer, options, keys, clock));
        var authorization = services.AddAuthorizationBuilder();
        foreach (var scope in PartnerScopes.All)
        {
            authorization.AddPolicy(PartnerAuthorization.PolicyFor(scope), policy => policy
                .AddAuthenticationSchemes(PartnerAuthorization.Scheme)
                .RequireAuthenticatedUser()
                .RequireAssertion(context => PartnerCaller.From(context.User)?.Scopes.Contains(scope, StringComparer.Ordinal) == true));
        }

        services.AddSingleton<TokenRateLimit>();
        services.AddSingleton<TokenLiveness>();
        return builder;
    }

    /// <summary>OpenIddict's application and token stores in <see cref="SignInDbContext"/>, and the directory over them.</summary>
    public static IServiceCollection AddPartnerClientStore(this IServiceCollection services)
    {
        services.AddOpenIddict().AddCore(core => core.UseEntityFrameworkCore().UseDbContext<SignInDbContext>());
        services.AddSingleton<IPartnerClientDirectory, OpenIddictPartnerClientDirectory>();
        return services;
    }

    /// <summary>
    /// The token endpoint's rate limit, placed before authentication: OpenIddict answers token requests inside the
    /// authentication middleware, so a limiter after it would never see the refused ones. Only that path: the other
    /// slices' limits key on the signed-in caller and stay after authentication (<see cref="MapPatchworkTokens"/>).
    /// </summary>
    public static WebApplication UsePatchworkTokenRateLimit(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var policy = app.Services.GetRequiredService<TokenRateLimit>();
        var limiter = new RateLimiterOptions
        {
            GlobalLimiter = System.Threading.RateLimiting.PartitionedRateLimiter.Create<HttpContext, string>(policy.GetPartition),
            OnRejected = policy.OnRejected,
        };
        app.UseWhen(context => context.Request.Path.Equals(TokenPaths.Token, StringComparison.OrdinalIgnoreCase), branch => branch.UseRateLimiter(limiter));
        return app;
    }

    /// <summary>
    /// Maps the token endpoint (OpenIddict authenticates the client, <see cref="IssueAsync"/> decides the claims) and the
    /// partner probe. Adds the rate limiter middleware, which serves every named policy: other slices add their policies
    /// with AddRateLimiter and need not add it again.
    /// </summary>
    public static WebApplication MapPatchworkTokens(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseRateLimiter();
        app.MapPost(TokenPaths.Token, IssueAsync).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();

        app.MapGet("/api/v1/partner/whoami", (HttpContext context) =>
                PartnerCaller.From(context.User) is { } caller
                    ? Results.Ok(new PartnerWhoAmI(caller.ClientId.Value, caller.Organisation.Value, caller.Scopes))
                    : Results.Forbid())
            .RequirePartnerScope(PartnerScopes.Read).Produces<PartnerWhoAmI>(StatusCodes.Status200OK).AnswersProblems();
        return app;
    }

    /// <summary>The client credentials grant, after OpenIddict has authenticated the partner system.</summary>
    private static async Task<IResult> IssueAsync(HttpContext context, IPartnerClientDirectory directory, TokenOptions options)
    {
        var request = context.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenIddict request.");
        if (!PartnerClient.TryParseClientId(request.ClientId, out var clientId) || await directory.FindAsync(clientId, context.RequestAborted) is not { } client)
            return Refuse(Errors.InvalidClient, "The client_id is not a registered partner system.");

        var requested = request.GetScopes();
        var scopes = requested.IsEmpty ? client.AllowedScopes : requested.ToList();
        if (scopes.Count == 0) return Refuse(Errors.InvalidScope, "This partner system is granted no scopes; ask its organisation's administrator.");
        var notGranted = scopes.Where(scope => !client.AllowedScopes.Contains(scope, StringComparer.Ordinal)).ToList();
        if (notGranted.Count > 0)
            return Refuse(Errors.InvalidScope,
                $"This partner system is not granted {string.Join(' ', notGranted)}; it may ask for: {string.Join(' ', client.AllowedScopes)}.");

        var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Subject, Claims.Role);
        identity.SetClaim(Claims.Subject, client.OAuthClientId);
        identity.SetClaim(PartnerClaims.Organisation, client.Organisation.Value.ToString("D"));
        identity.SetScopes(scopes);
        identity.SetResources(options.Audience);
        identity.SetDestinations(_ => [Destinations.AccessToken]);
        Telemetry.PatchworkMetrics.TokenIssued();
        return Results.SignIn(new ClaimsPrincipal(identity), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private static IResult Refuse(string error, string description) => Results.Forbid(
        new AuthenticationProperties(new Dictionary<string, string?>
        {
            [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
            [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
        }),
        [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);

    private static string Relative(string path) => path.TrimStart('/');

    private static ValueTask PublicForAnHour(OpenIddict.Server.OpenIddictServerEvents.BaseRequestContext context)
    {
        if (context.Transaction.GetHttpRequest()?.HttpContext.Response is { } response) response.Headers.CacheControl = "public, max-age=3600";
        return ValueTask.CompletedTask;
    }
}

/// <summary>OpenIddict's tables and the assertion replay table, created idempotently as the owner role (run at start by the schema migration shell).</summary>
internal static class TokensSchemaMigration
{
    public static Task MigrateAsync(NpgsqlDataSource owner, string schema, CancellationToken cancellationToken) =>
        SchemaScripts.ApplyAsync(owner, schema, "tokens", typeof(TokensSchemaMigration).Assembly, ["Patchwork.Server.Tokens.tokens.sql"], cancellationToken);
}

/// <summary>Deletes token rows past their retention and spent assertion ids past their expiry, on a schedule.</summary>
internal sealed class TokenPruning(IServiceScopeFactory scopes, NpgsqlDataSource database, SignInSchema schema, TokenOptions options,
    TimeProvider clock, ILogger<TokenPruning> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.PruneInterval, clock);
        do
        {
            try
            {
                var (tokens, assertions) = await PruneAsync(stoppingToken);
                if (tokens + assertions > 0) log.LogInformation("Pruned {Tokens} token rows and {Assertions} spent assertion ids", tokens, assertions);
            }
            // A database outage must not stop the host: the next tick tries again.
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogError(e, "Token rows could not be pruned; retrying in {Interval}", options.PruneInterval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One pass: OpenIddict's own pruning of tokens (and authorizations) older than the retention, then the replay store.</summary>
    public async Task<(long Tokens, long Assertions)> PruneAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var scope = scopes.CreateAsyncScope();
        var tokens = await scope.ServiceProvider.GetRequiredService<IOpenIddictTokenManager>().PruneAsync(now - options.TokenRetention, cancellationToken);
        await using var command = database.CreateCommand(
            $"DELETE FROM {SchemaScripts.Quote(schema.Name)}.partner_client_assertion_jti WHERE expires_at < @now");
        command.Parameters.AddWithValue("now", now);
        var assertions = await command.ExecuteNonQueryAsync(cancellationToken);
        return (tokens, assertions);
    }
}

/// <summary>What <c>GET /api/v1/partner/whoami</c> tells a partner system about its own token.</summary>
public sealed record PartnerWhoAmI(Guid ClientId, Guid OrganisationId, IReadOnlyList<string> Scopes);
