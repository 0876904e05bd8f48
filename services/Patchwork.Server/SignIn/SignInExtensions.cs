using Patchwork.EventStore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Patchwork.Server.SignIn;

public static class SignInExtensions
{
    /// <summary>
    /// Practitioner sign-in: ASP.NET Core Identity on PostgreSQL (tables <c>identity_*</c> in the event store's schema),
    /// the session cookie as the host's default scheme, a required TOTP second factor (each code once), growing waits after
    /// failures per account, rate limits per address, invitations by mail and a per-request session check that ends
    /// disabled, signed-out and signed-out-everywhere sessions.
    /// </summary>
    public static WebApplicationBuilder AddPatchworkSignIn(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var services = builder.Services;
        var options = configuration.GetSection(PractitionerSignInOptions.Section).Get<PractitionerSignInOptions>() ?? new PractitionerSignInOptions();
        options.Validate();
        var mail = configuration.GetSection(MailOptions.Section).Get<MailOptions>() ?? new MailOptions();
        var application = configuration.GetConnectionString("Patchwork") is { Length: > 0 } connection ? connection
            : throw new InvalidOperationException("ConnectionStrings:Patchwork is not set (see README, Configuration).");
        var schema = new SignInSchema(configuration["EventStore:Schema"] is { Length: > 0 } configured ? configured : "patchwork");
        Patchwork.EventStore.SchemaScripts.Quote(schema.Name);

        services.AddSingleton(options);
        services.AddSingleton(mail);
        services.AddSingleton(schema);
        services.AddSingleton<SignInRecords>();
        services.AddSingleton<SessionGate>();
        services.AddSingleton<SessionRevocations>();
        services.AddHostedService(provider => provider.GetRequiredService<SessionRevocations>());
        if (mail.UsesSmtp) services.AddSingleton<IMailSender, SmtpMailSender>();
        else services.AddSingleton<IMailSender, PickupDirectoryMailSender>();
        services.AddScoped<PractitionerAccounts>();
        services.AddScoped<SecondFactorSignIn>();
        if (configuration.GetConnectionString("PatchworkOwner") is { Length: > 0 } owner)
            services.AddSchemaMigration(owner, (_, database, cancellationToken) => SignInSchemaMigration.MigrateAsync(database, schema.Name, cancellationToken));
        // After the identity tables exist: demo staff are invited like real staff (Demo/DemoAccounts.cs).
        if (configuration.GetValue<bool>("Demo:InviteStaff")) services.AddHostedService<Demo.DemoAccounts>();
        services.AddDbContext<SignInDbContext>(database => database
            .UseNpgsql(application)
            .ReplaceService<IModelCacheKeyFactory, SchemaModelCacheKeyFactory>());

        services.AddIdentityCore<ApplicationUser>(identity =>
            {
                // NIST SP 800-63B: length, not composition rules.
                identity.Password.RequiredLength = 12;
                identity.Password.RequireDigit = false;
                identity.Password.RequireLowercase = false;
                identity.Password.RequireUppercase = false;
                identity.Password.RequireNonAlphanumeric = false;
                identity.Password.RequiredUniqueChars = 4;
                // No lockout: anonymous guesses must not shut the holder out. SecondFactorSignIn makes each account's
                // failures in a row cost a growing wait instead (SignInRecords); Identity's own counter never reaches this.
                identity.Lockout.MaxFailedAccessAttempts = int.MaxValue;
                identity.User.RequireUniqueEmail = true;
                identity.ClaimsIdentity.RoleClaimType = PatchworkClaims.Role;
            })
            .AddSignInManager<PractitionerSignInManager>()
            .AddClaimsPrincipalFactory<PractitionerPrincipalFactory>()
            .AddEntityFrameworkStores<SignInDbContext>()
            .AddDefaultTokenProviders()
            .AddTokenProvider<SingleUseAuthenticatorCodes>(TokenOptions.DefaultAuthenticatorProvider);

        services.AddAuthentication(IdentityConstants.ApplicationScheme).AddIdentityCookies();
        services.ConfigureApplicationCookie(cookie =>
        {
            Harden(cookie, "patchwork-session");
            cookie.ExpireTimeSpan = options.SessionIdleTimeout;
            cookie.SlidingExpiration = true;
            // Each sign-in is a session of its own, so signing out can end just this one, everywhere it is checked.
            cookie.Events.OnSigningIn = context =>
            {
                if (context.Principal?.Identity is System.Security.Claims.ClaimsIdentity identity && !identity.HasClaim(c => c.Type == PatchworkClaims.Session))
                    identity.AddClaim(new System.Security.Claims.Claim(PatchworkClaims.Session, Guid.NewGuid().ToString("D")));
                return Task.CompletedTask;
            };
            cookie.Events.OnValidatePrincipal = async context =>
            {
                var services = context.HttpContext.RequestServices;
                if (context.Principal is null || !await services.GetRequiredService<SessionGate>().IsCurrentAsync(
                        context.Principal, services.GetRequiredService<SignInDbContext>(), context.HttpContext.RequestAborted))
                {
                    context.RejectPrincipal();
                    await context.HttpContext.SignOutAsync(IdentityConstants.ApplicationScheme);
                    return;
                }
                await SecurityStampValidator.ValidatePrincipalAsync(context);
            };
        });
        services.Configure<CookieAuthenticationOptions>(IdentityConstants.TwoFactorUserIdScheme, cookie => Harden(cookie, "patchwork-second-factor"));
        services.Configure<SecurityStampValidatorOptions>(stamp =>
        {
            stamp.ValidationInterval = options.SecurityStampValidationInterval;
            // Identity rebuilds the principal from the store; the second-factor proof is not in the store, so carry it over.
            stamp.OnRefreshingPrincipal = refreshing =>
            {
                if (refreshing.NewPrincipal?.Identity is System.Security.Claims.ClaimsIdentity fresh &&
                    !fresh.HasClaim(PatchworkClaims.AuthenticationMethods, PatchworkClaims.MultiFactor) &&
                    refreshing.CurrentPrincipal?.HasClaim(PatchworkClaims.AuthenticationMethods, PatchworkClaims.MultiFactor) == true)
                    fresh.AddClaim(new System.Security.Claims.Claim(PatchworkClaims.AuthenticationMethods, PatchworkClaims.MultiFactor));
                // Nor is the session id: the refreshed cookie is the same session, and signing out must still end it.
                if (refreshing.NewPrincipal?.Identity is System.Security.Claims.ClaimsIdentity renewed && !renewed.HasClaim(c => c.Type == PatchworkClaims.Session) &&
                    refreshing.CurrentPrincipal?.FindFirst(PatchworkClaims.Session) is { } session)
                    renewed.AddClaim(new System.Security.Claims.Claim(PatchworkClaims.Session, session.Value));
                return Task.CompletedTask;
            };
        });
        services.AddAuthorizationBuilder().AddPolicy(PatchworkClaims.PractitionerPolicy, policy => policy
            .AddAuthenticationSchemes(IdentityConstants.ApplicationScheme)
            .RequireAuthenticatedUser()
            .RequireClaim(PatchworkClaims.Practitioner)
            .RequireClaim(PatchworkClaims.AuthenticationMethods, PatchworkClaims.MultiFactor));

        services.AddAntiforgery(antiforgery =>
        {
            antiforgery.Cookie.Name = "patchwork-antiforgery";
            antiforgery.Cookie.HttpOnly = true;
            antiforgery.Cookie.SameSite = SameSiteMode.Strict;
            antiforgery.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        services.AddRateLimiter(limiter => limiter.AddPolicy(SignInRateLimit.Policy, new SignInRateLimit(options)));
        return builder;
    }

    /// <summary>Maps /account (sign-in, second factor, invitations, sign out) and the practitioner endpoints under /api/v1.</summary>
    public static WebApplication MapPatchworkSignIn(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapAccount();
        app.MapPractitionerAdmin();
        return app;
    }

    /// <summary>
    /// HttpOnly, SameSite=Strict (every step of sign-in is a same-site post; the emailed invitation link needs no session),
    /// Secure when the request is, and <c>__Host-</c> under HTTPS. API, /account and hub callers get 401/403 with a problem
    /// body (RFC 9457), pages a redirect to sign in.
    /// </summary>
    private static void Harden(CookieAuthenticationOptions cookie, string name)
    {
        cookie.Cookie.Name = name;
        cookie.Cookie.HttpOnly = true;
        cookie.Cookie.SameSite = SameSiteMode.Strict;
        cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        cookie.Cookie.Path = "/";
        cookie.CookieManager = new HostPrefixCookieManager();
        cookie.Events.OnRedirectToLogin = context => StatusOrRedirect(context, StatusCodes.Status401Unauthorized);
        cookie.Events.OnRedirectToAccessDenied = context => StatusOrRedirect(context, StatusCodes.Status403Forbidden);
    }

    private static async Task StatusOrRedirect(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        var path = context.Request.Path;
        if (!path.StartsWithSegments("/api") && !path.StartsWithSegments("/account") && !path.StartsWithSegments("/hubs"))
        {
            context.Response.Redirect(context.RedirectUri);
            return;
        }
        // A script (or the SignalR client) reads a problem; an HTML sign-in page in its place would only confuse it.
        await (status == StatusCodes.Status401Unauthorized
            ? TypedResults.Problem(statusCode: status, title: "Sign in first", detail: "This needs a signed-in session; it has none, or it has ended.")
            : TypedResults.Problem(statusCode: status, title: "Not allowed", detail: "The signed-in account may not do this.")).ExecuteAsync(context.HttpContext);
    }
}
