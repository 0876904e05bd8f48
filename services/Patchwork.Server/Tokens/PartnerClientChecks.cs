using System.Globalization;
using Microsoft.AspNetCore;
using Npgsql;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Patchwork.Server.Tokens;

/// <summary>
/// What OpenIddict does not check when a partner system authenticates, added to its pipeline as small handlers. Each
/// refusal's <c>error_description</c> says what was expected; OpenIddict's own refusals already do.
/// </summary>
internal static class PartnerClientChecks
{
    public static IEnumerable<OpenIddictServerHandlerDescriptor> Descriptors =>
        [RefuseSecretInBody.Descriptor, SpendAssertionOnce.Descriptor, RefuseDisabledPartner.Descriptor];

    private static string? FormatUnix(long seconds) => DateTimeOffset.FromUnixTimeSeconds(seconds).ToString("O", CultureInfo.InvariantCulture);

    /// <summary>
    /// client_secret_post is not offered: OpenIddict lists the methods we allow in its metadata but accepts a secret in
    /// the body whatever the list says. The host copies HTTP Basic credentials into the request, so the header tells them apart.
    /// </summary>
    public sealed class RefuseSecretInBody : IOpenIddictServerHandler<ProcessAuthenticationContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
            OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessAuthenticationContext>()
                .UseSingletonHandler<RefuseSecretInBody>()
                .SetOrder(OpenIddictServerHandlers.ValidateClientAssertion.Descriptor.Order - 500)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public ValueTask HandleAsync(ProcessAuthenticationContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            if (context.Request is { ClientSecret: not null } &&
                context.Transaction.GetHttpRequest()?.Headers.Authorization.ToString().StartsWith("Basic ", StringComparison.OrdinalIgnoreCase) != true)
            {
                context.Reject(Errors.InvalidClient,
                    "A client secret in the request body (client_secret_post) is not accepted: send it with HTTP Basic " +
                    "(client_secret_basic), or authenticate with a signed client assertion (private_key_jwt).");
            }
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>
    /// A client assertion is spent once, on every node, and lives at most <see cref="TokenOptions.MaxAssertionLifetime"/>:
    /// OpenIddict checks its signature, issuer, audience and expiry but accepts the same assertion again until it expires.
    /// </summary>
    public sealed class SpendAssertionOnce(NpgsqlDataSource database, TokenOptions options, Patchwork.Server.SignIn.SignInSchema schema)
        : IOpenIddictServerHandler<ProcessAuthenticationContext>
    {
        private readonly string _table = Patchwork.EventStore.SchemaScripts.Quote(schema.Name) + ".partner_client_assertion_jti";

        public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
            OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessAuthenticationContext>()
                .UseSingletonHandler<SpendAssertionOnce>()
                // After OpenIddict has checked the assertion's signature, issuer and audience; before it looks the client up.
                .SetOrder(OpenIddictServerHandlers.ValidateClientId.Descriptor.Order - 500)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public async ValueTask HandleAsync(ProcessAuthenticationContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            var assertion = context.ClientAssertionPrincipal;
            if (assertion is null) return;
            var now = context.Options.TimeProvider!.GetUtcNow();
            var issuer = assertion.GetClaim(Claims.Issuer) ?? "";
            // One audience, the issuer: an assertion also addressed to another server could be replayed there (or from there).
            if (assertion.FindAll(Claims.Audience).ToList() is not [{ ValueType: not Microsoft.IdentityModel.JsonWebTokens.JsonClaimValueTypes.JsonArray }])
            {
                context.Reject(Errors.InvalidClient, $"The client assertion's aud must be one string, the issuer {context.Options.Issuer?.AbsoluteUri}, not a list.");
                return;
            }
            var jti = assertion.GetClaim(Claims.JwtId);
            if (string.IsNullOrEmpty(jti) || jti.Length > 256)
            {
                context.Reject(Errors.InvalidClient, "The client assertion must carry a jti claim (a unique id of at most 256 characters, e.g. a UUID), used once.");
                return;
            }
            if (!long.TryParse(assertion.GetClaim(Claims.ExpiresAt), NumberStyles.Integer, CultureInfo.InvariantCulture, out var exp))
            {
                context.Reject(Errors.InvalidClient, "The client assertion must carry exp as a number of seconds since 1970.");
                return;
            }
            var expires = DateTimeOffset.FromUnixTimeSeconds(exp);
            var latest = now + options.MaxAssertionLifetime + options.ClockSkew;
            if (expires > latest)
            {
                context.Reject(Errors.InvalidClient,
                    $"The client assertion's exp ({FormatUnix(exp)}) is too far ahead: it must expire within {options.MaxAssertionLifetime.TotalMinutes:0} minutes of now ({now:O}).");
                return;
            }
            if (long.TryParse(assertion.GetClaim(Claims.IssuedAt), NumberStyles.Integer, CultureInfo.InvariantCulture, out var iat) &&
                DateTimeOffset.FromUnixTimeSeconds(iat) > now + options.ClockSkew)
            {
                context.Reject(Errors.InvalidClient, $"The client assertion's iat ({FormatUnix(iat)}) is in the future; the server's time is {now:O}.");
                return;
            }

            await using var command = database.CreateCommand(
                $"INSERT INTO {_table} (client_id, jti, expires_at) VALUES (@client, @jti, @expires) ON CONFLICT DO NOTHING");
            command.Parameters.AddWithValue("client", issuer);
            command.Parameters.AddWithValue("jti", jti);
            command.Parameters.AddWithValue("expires", expires + options.ClockSkew);
            if (await command.ExecuteNonQueryAsync(context.CancellationToken) != 1)
                context.Reject(Errors.InvalidClient, "The client assertion's jti was already used: sign a new assertion, with a new jti, for every request.");
        }
    }

    /// <summary>A disabled partner system is refused at every endpoint that authenticates it; OpenIddict has no such flag.</summary>
    public sealed class RefuseDisabledPartner(IOpenIddictApplicationManager applications) : IOpenIddictServerHandler<ProcessAuthenticationContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
            OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessAuthenticationContext>()
                .UseScopedHandler<RefuseDisabledPartner>()
                .SetOrder(OpenIddictServerHandlers.ValidateClientId.Descriptor.Order + 500)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public async ValueTask HandleAsync(ProcessAuthenticationContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            if (string.IsNullOrEmpty(context.ClientId)) return;
            var application = await applications.FindByClientIdAsync(context.ClientId, context.CancellationToken);
            if (application is null) return;
            var properties = await applications.GetPropertiesAsync(application, context.CancellationToken);
            if (properties.TryGetValue(OpenIddictPartnerClientDirectory.DisabledProperty, out var disabled) && disabled.ValueKind == System.Text.Json.JsonValueKind.True)
                context.Reject(Errors.InvalidClient, "This partner system is disabled; its organisation's administrator can register a new one.");
        }
    }
}
