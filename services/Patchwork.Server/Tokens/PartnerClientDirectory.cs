using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using Patchwork.Core;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Patchwork.Server.Tokens;

/// <summary>The registered partner clients: the one door to OpenIddict's application store for the rest of the host.</summary>
public interface IPartnerClientDirectory
{
    Task<PartnerClient> RegisterAsync(PartnerClientRegistration registration, CancellationToken cancellationToken);

    Task<PartnerClient?> FindAsync(PartnerSystemId clientId, CancellationToken cancellationToken);

    /// <summary>Every partner client of one organisation, enabled or not, oldest first.</summary>
    Task<IReadOnlyList<PartnerClient>> ListAsync(OrganisationId organisation, CancellationToken cancellationToken);

    /// <summary>Adds a public JWK for private_key_jwt and returns its key id; rotate by adding the new key, then removing the old.</summary>
    Task<string> AddPublicKeyAsync(PartnerSystemId clientId, string publicJwk, CancellationToken cancellationToken);

    Task RemovePublicKeyAsync(PartnerSystemId clientId, string keyId, CancellationToken cancellationToken);

    /// <summary>Replaces the client's secret with a new random one, returned this once and stored only as OpenIddict's hash.</summary>
    Task<string> IssueSecretAsync(PartnerSystemId clientId, CancellationToken cancellationToken);

    /// <summary>Stops the client getting tokens and revokes every token it holds, which the API then refuses at once.</summary>
    Task DisableAsync(PartnerSystemId clientId, CancellationToken cancellationToken);

    /// <summary>The organisation of an enabled client, or null when it is unknown or disabled; cached briefly (bus consumers ask per message).</summary>
    Task<OrganisationId?> ActiveOrganisationAsync(PartnerSystemId clientId, CancellationToken cancellationToken);

    /// <summary>Every organisation with at least one enabled partner client: the organisations the partner relay notifies.</summary>
    Task<IReadOnlySet<OrganisationId>> OrganisationsWithActiveClientsAsync(CancellationToken cancellationToken);
}

/// <summary>
/// Partner clients as OpenIddict applications: confidential, allowed the client credentials grant at the token,
/// introspection and revocation endpoints, their scopes as <c>scp:</c> permissions, their public keys as the
/// application's JSON Web Key Set, and the organisation, the disabled flag and the registration time as properties.
/// </summary>
internal sealed class OpenIddictPartnerClientDirectory(IServiceScopeFactory scopes, TimeProvider clock) : IPartnerClientDirectory
{
    internal const string OrganisationProperty = "patchwork_organisation";
    internal const string DisabledProperty = "patchwork_disabled";
    internal const string CreatedProperty = "patchwork_created_at";
    internal const string HasSecretProperty = "patchwork_has_secret";

    /// <summary>The bus consumers' view of a client's state may lag a disabling by this much on other nodes; the API's does not.</summary>
    public static readonly TimeSpan StatusCacheDuration = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<PartnerSystemId, (OrganisationId? Organisation, DateTimeOffset Until)> _status = new();

    public async Task<PartnerClient> RegisterAsync(PartnerClientRegistration registration, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(registration);
        if (string.IsNullOrWhiteSpace(registration.DisplayName))
            throw new ArgumentException("A partner client needs a display name.", nameof(registration));
        var unknown = registration.AllowedScopes.Where(scope => !PartnerScopes.IsKnown(scope)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"Unknown scopes: {string.Join(' ', unknown)}.", nameof(registration));
        var key = registration.PublicJwk is null ? null : PartnerPublicKey.Parse(registration.PublicJwk);

        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = registration.ClientId.Value.ToString("D"),
            ClientType = ClientTypes.Confidential,
            DisplayName = registration.DisplayName.Trim(),
            // OpenIddict requires a confidential client to hold a credential; until the partner is given a secret or
            // registers a key, this one (never shown to anyone, only its hash kept) is what it "holds".
            ClientSecret = key is null ? Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32)) : null,
            JsonWebKeySet = key is null ? null : new JsonWebKeySet { Keys = { key } },
        };
        descriptor.Permissions.UnionWith([
            Permissions.Endpoints.Token, Permissions.Endpoints.Introspection, Permissions.Endpoints.Revocation,
            Permissions.GrantTypes.ClientCredentials,
        ]);
        descriptor.Permissions.UnionWith(registration.AllowedScopes.Distinct(StringComparer.Ordinal).Select(scope => Permissions.Prefixes.Scope + scope));
        descriptor.Properties[OrganisationProperty] = JsonSerializer.SerializeToElement(registration.Organisation.Value.ToString("D"));
        descriptor.Properties[DisabledProperty] = JsonSerializer.SerializeToElement(false);
        descriptor.Properties[HasSecretProperty] = JsonSerializer.SerializeToElement(false);
        descriptor.Properties[CreatedProperty] = JsonSerializer.SerializeToElement(clock.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));

        await using var scope = scopes.CreateAsyncScope();
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        var application = await applications.CreateAsync(descriptor, cancellationToken);
        return await ReadAsync(applications, application, cancellationToken);
    }

    public async Task<PartnerClient?> FindAsync(PartnerSystemId clientId, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        var application = await applications.FindByClientIdAsync(clientId.Value.ToString("D"), cancellationToken);
        return application is null ? null : await ReadAsync(applications, application, cancellationToken);
    }

    public async Task<IReadOnlyList<PartnerClient>> ListAsync(OrganisationId organisation, CancellationToken cancellationToken) =>
        (await AllAsync(cancellationToken))
            .Where(client => client.Organisation == organisation)
            .OrderBy(client => client.CreatedAt).ThenBy(client => client.ClientId.Value)
            .ToList();

    public async Task<string> AddPublicKeyAsync(PartnerSystemId clientId, string publicJwk, CancellationToken cancellationToken)
    {
        var key = PartnerPublicKey.Parse(publicJwk);
        await ChangeAsync(clientId, descriptor =>
        {
            var keys = descriptor.JsonWebKeySet?.Keys.ToList() ?? [];
            if (keys.Any(existing => existing.Kid == key.Kid))
                throw new ArgumentException($"The client already has a key with kid {key.Kid}.", nameof(publicJwk));
            descriptor.JsonWebKeySet = KeySet([.. keys, key]);
        }, cancellationToken);
        return key.Kid;
    }

    public Task RemovePublicKeyAsync(PartnerSystemId clientId, string keyId, CancellationToken cancellationToken) =>
        ChangeAsync(clientId, descriptor =>
        {
            var kept = descriptor.JsonWebKeySet?.Keys.Where(key => key.Kid != keyId).ToList() ?? [];
            descriptor.JsonWebKeySet = kept.Count == 0 ? null : KeySet(kept);
        }, cancellationToken);

    public async Task<string> IssueSecretAsync(PartnerSystemId clientId, CancellationToken cancellationToken)
    {
        var secret = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        await using var scope = scopes.CreateAsyncScope();
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        var application = await applications.FindByClientIdAsync(clientId.Value.ToString("D"), cancellationToken)
            ?? throw new KeyNotFoundException($"No partner client {clientId}.");
        var descriptor = new OpenIddictApplicationDescriptor();
        await applications.PopulateAsync(descriptor, application, cancellationToken);
        descriptor.Properties[HasSecretProperty] = JsonSerializer.SerializeToElement(true);
        await applications.PopulateAsync(application, descriptor, cancellationToken);
        await applications.UpdateAsync(application, secret, cancellationToken);
        return secret;
    }

    public async Task DisableAsync(PartnerSystemId clientId, CancellationToken cancellationToken)
    {
        await ChangeAsync(clientId, descriptor => descriptor.Properties[DisabledProperty] = JsonSerializer.SerializeToElement(true), cancellationToken);
        await using var scope = scopes.CreateAsyncScope();
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        var tokens = scope.ServiceProvider.GetRequiredService<IOpenIddictTokenManager>();
        var application = await applications.FindByClientIdAsync(clientId.Value.ToString("D"), cancellationToken);
        if (application is not null)
            await tokens.RevokeByApplicationIdAsync((await applications.GetIdAsync(application, cancellationToken))!, cancellationToken);
        _status.TryRemove(clientId, out _);
    }

    public async Task<OrganisationId?> ActiveOrganisationAsync(PartnerSystemId clientId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (_status.TryGetValue(clientId, out var cached) && cached.Until > now) return cached.Organisation;
        var client = await FindAsync(clientId, cancellationToken);
        var organisation = client is { Disabled: false } ? client.Organisation : (OrganisationId?)null;
        _status[clientId] = (organisation, now + StatusCacheDuration);
        return organisation;
    }

    public async Task<IReadOnlySet<OrganisationId>> OrganisationsWithActiveClientsAsync(CancellationToken cancellationToken) =>
        (await AllAsync(cancellationToken)).Where(client => !client.Disabled).Select(client => client.Organisation).ToHashSet();

    private async Task<IReadOnlyList<PartnerClient>> AllAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        var clients = new List<PartnerClient>();
        await foreach (var application in applications.ListAsync(count: null, offset: null, cancellationToken))
        {
            if (await TryReadAsync(applications, application, cancellationToken) is { } client) clients.Add(client);
        }
        return clients;
    }

    private async Task ChangeAsync(PartnerSystemId clientId, Action<OpenIddictApplicationDescriptor> change, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        var application = await applications.FindByClientIdAsync(clientId.Value.ToString("D"), cancellationToken)
            ?? throw new KeyNotFoundException($"No partner client {clientId}.");
        var descriptor = new OpenIddictApplicationDescriptor();
        await applications.PopulateAsync(descriptor, application, cancellationToken);
        change(descriptor);
        // The descriptor holds the stored hash of the secret, written back unchanged: UpdateAsync without a secret never hashes.
        await applications.PopulateAsync(application, descriptor, cancellationToken);
        await applications.UpdateAsync(application, cancellationToken);
    }

    private static async Task<PartnerClient> ReadAsync(IOpenIddictApplicationManager applications, object application, CancellationToken cancellationToken) =>
        await TryReadAsync(applications, application, cancellationToken)
        ?? throw new InvalidOperationException("An OpenIddict application that is not a partner system.");

    private static async Task<PartnerClient?> TryReadAsync(IOpenIddictApplicationManager applications, object application, CancellationToken cancellationToken)
    {
        var properties = await applications.GetPropertiesAsync(application, cancellationToken);
        if (!PartnerClient.TryParseClientId(await applications.GetClientIdAsync(application, cancellationToken), out var clientId) ||
            !properties.TryGetValue(OrganisationProperty, out var organisation) || !Guid.TryParse(organisation.GetString(), out var organisationId))
            return null;
        var scopes = (await applications.GetPermissionsAsync(application, cancellationToken))
            .Where(permission => permission.StartsWith(Permissions.Prefixes.Scope, StringComparison.Ordinal))
            .Select(permission => permission[Permissions.Prefixes.Scope.Length..])
            .Order(StringComparer.Ordinal)
            .ToList();
        var keys = (await applications.GetJsonWebKeySetAsync(application, cancellationToken))?.Keys.ToList() ?? [];
        return new PartnerClient(
            clientId,
            new OrganisationId(organisationId),
            await applications.GetDisplayNameAsync(application, cancellationToken) ?? "",
            scopes,
            keys,
            properties.TryGetValue(HasSecretProperty, out var hasSecret) && hasSecret.ValueKind == JsonValueKind.True,
            properties.TryGetValue(DisabledProperty, out var disabled) && disabled.ValueKind == JsonValueKind.True,
            properties.TryGetValue(CreatedProperty, out var created) &&
            DateTimeOffset.TryParse(created.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var createdAt)
                ? createdAt : DateTimeOffset.MinValue);
    }

    private static JsonWebKeySet KeySet(IEnumerable<JsonWebKey> keys)
    {
        var set = new JsonWebKeySet();
        foreach (var key in keys) set.Keys.Add(key);
        return set;
    }
}
