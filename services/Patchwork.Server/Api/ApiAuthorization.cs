using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Patchwork.Server.Tokens;

namespace Patchwork.Server.Api;

/// <summary>Admits practitioners, and partner systems that hold the scope the endpoint names (none named: practitioners only).</summary>
public static class ApiAuthorization
{
    public const string Policy = "Practitioner or partner";

    /// <summary>Which partner scope an endpoint needs; without it a partner system gets 403 there.</summary>
    public sealed record PartnerScopeMetadata(string Scope);

    public static TBuilder AllowPartnerWith<TBuilder>(this TBuilder endpoint, string scope) where TBuilder : IEndpointConventionBuilder =>
        PartnerScopes.IsKnown(scope) ? endpoint.WithMetadata(new PartnerScopeMetadata(scope)) : throw new ArgumentException($"Unknown partner scope {scope}.", nameof(scope));

    internal sealed class CallerRequirement : IAuthorizationRequirement;

    internal sealed class CallerHandler : AuthorizationHandler<CallerRequirement>
    {
        protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, CallerRequirement requirement)
        {
            var endpoint = (context.Resource as HttpContext)?.GetEndpoint() ?? (context.Resource as Endpoint);
            var admitted = CurrentActor.From(context.User) switch
            {
                null => false,
                { IsPractitioner: true } => true,
                _ => endpoint?.Metadata.GetMetadata<PartnerScopeMetadata>() is { } needed &&
                     PartnerCaller.From(context.User)?.Scopes.Contains(needed.Scope, StringComparer.Ordinal) == true,
            };
            if (admitted) context.Succeed(requirement);
            return Task.CompletedTask;
        }
    }

    /// <summary>
    /// The practitioners' scheme is the host's default authenticate scheme (Identity's application cookie once sign-in
    /// registers it); partner tokens come through <see cref="PartnerAuthorization.Scheme"/>. Resolved when options are
    /// first read, so the order in which slices register does not matter.
    /// </summary>
    internal sealed class ConfigurePolicy(IOptions<AuthenticationOptions> authentication) : IConfigureOptions<AuthorizationOptions>
    {
        public void Configure(AuthorizationOptions options)
        {
            var practitioners = authentication.Value.DefaultAuthenticateScheme ?? authentication.Value.DefaultScheme;
            options.AddPolicy(Policy, policy =>
            {
                policy.AddAuthenticationSchemes(PartnerAuthorization.Scheme);
                if (practitioners is not null && practitioners != PartnerAuthorization.Scheme) policy.AddAuthenticationSchemes(practitioners);
                policy.RequireAuthenticatedUser().AddRequirements(new CallerRequirement());
            });
        }
    }
}
