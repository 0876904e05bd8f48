using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.DataProtection;
using Npgsql;

namespace Patchwork.Server.Tokens;

public static class TokensExtensions
{
    /// <summary>
    /// The partner token endpoint, its keys and the <see cref="PartnerAuthorization.Scheme"/> scheme with one policy per
    /// scope. Needs the application role's <see cref="NpgsqlDataSource"/> (AddPatchworkDatabase) and DataProtection's
    /// key ring persisted by the host: it protects our signing keys at rest.
    /// </summary>
    public static WebApplicationBuilder AddPatchworkTokens(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(TokenOptions.Section).Get<TokenOptions>() ?? new TokenOptions();
        options.Validate();
        var services = builder.Services;
        services.AddSingleton(options);
        services.AddDataProtection();
        services.AddSingleton<SigningKeyRing>();
        services.AddSingleton<AssertionReplayStore>();
        services.AddSingleton<IPartnerClientDirectory, PostgresPartnerClientDirectory>();
        services.AddSingleton<ITokenIssuer, AccessTokenIssuer>();
        services.AddSingleton<ClientAuthentication>();
        services.AddSingleton<InProcessSigningKeys>();
        services.AddHostedService<TokenKeyMaintenance>();

        services.AddAuthentication().AddJwtBearer(PartnerAuthorization.Scheme, _ => { });
        services.AddOptions<JwtBearerOptions>(PartnerAuthorization.Scheme)
            .Configure<InProcessSigningKeys, TimeProvider>((bearer, keys, clock) => PartnerBearer.Configure(bearer, options, keys, clock));
        var authorization = services.AddAuthorizationBuilder();
        foreach (var scope in PartnerScopes.All)
        {
            authorization.AddPolicy(PartnerAuthorization.PolicyFor(scope), policy => policy
                .AddAuthenticationSchemes(PartnerAuthorization.Scheme)
                .RequireAuthenticatedUser()
                .RequireAssertion(context => PartnerCaller.From(context.User)?.Scopes.Contains(scope, StringComparer.Ordinal) == true));
        }

        services.AddRateLimiter(limiter => limiter.AddPolicy(TokenRateLimit.Policy, new TokenRateLimit(options)));
        return builder;
    }

    /// <summary>
    /// Maps the token endpoint, the metadata and JWKS, and the partner probe. Adds the rate limiter middleware, which
    /// serves every named policy: other slices add their policies with AddRateLimiter and need not add it again.
    /// </summary>
    public static WebApplication MapPatchworkTokens(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseRateLimiter();

        app.MapPost(TokenPaths.Token, TokenEndpoint.HandleAsync)
            .AllowAnonymous().DisableAntiforgery().RequireRateLimiting(TokenRateLimit.Policy).ExcludeFromDescription();
        app.MapGet(TokenPaths.Metadata, TokenEndpoint.Metadata).AllowAnonymous().ExcludeFromDescription();
        app.MapGet(TokenPaths.Jwks, TokenEndpoint.Jwks).AllowAnonymous().ExcludeFromDescription();

        app.MapGet("/api/v1/partner/whoami", (HttpContext context) =>
                PartnerCaller.From(context.User) is { } caller
                    ? Results.Ok(new { clientId = caller.ClientId.Value, organisationId = caller.Organisation.Value, scopes = caller.Scopes })
                    : Results.Forbid())
            .RequirePartnerScope(PartnerScopes.Read);
        return app;
    }
}

/// <summary>Migrates the token tables at start, then keeps this node's key set fresh and rotates keys when due.</summary>
internal sealed class TokenKeyMaintenance(IConfiguration configuration, TokenOptions options, SigningKeyRing keys,
    ILogger<TokenKeyMaintenance> log) : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var owner = configuration.GetConnectionString("PatchworkOwner");
        if (string.IsNullOrWhiteSpace(owner))
        {
            log.LogWarning("ConnectionStrings:PatchworkOwner is not set; the token tables in schema {Schema} are assumed to exist", options.Schema);
        }
        else
        {
            await using var ownerDatabase = NpgsqlDataSource.Create(owner);
            await TokensSchema.MigrateAsync(ownerDatabase, options.Schema, cancellationToken);
        }
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.SigningKeyRefreshInterval);
        do
        {
            try
            {
                await keys.CurrentAsync(stoppingToken);
            }
            // A database outage must not stop the host: the next tick, or the next token request, tries again.
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogError(e, "Token signing keys could not be refreshed; retrying in {Interval}", options.SigningKeyRefreshInterval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
