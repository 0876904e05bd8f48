using Patchwork.Core;
using Patchwork.Server.Messaging;
using Patchwork.Server.Tokens;

namespace Patchwork.Server.PartnerBus.Registration;

/// <summary>What an organisation admin asks for: a name, scopes, and either a public key or a client secret.</summary>
public sealed record PartnerSystemRequest(OrganisationId Organisation, string DisplayName, IReadOnlyCollection<string> Scopes, string? PublicJwk, bool ClientSecret);

/// <summary>Everything a partner system's developers need, shown once: the secrets exist nowhere else in clear.</summary>
public sealed record RegisteredPartnerSystem(PartnerClient Client, string? ClientSecret, PartnerBrokerCredentials Broker, string BrokerHost, int BrokerPort);

/// <summary>
/// A partner system is two registrations that live and die together: its OAuth client (the token endpoint's directory)
/// and its broker user with its organisation's exchanges and queues. Registration undoes the client when the broker
/// refuses, so no half-registered system is left able to get tokens; revocation disables the client first, so a
/// broker failure still leaves the system unable to act through the API, and the relay stops telling it anything.
/// </summary>
public sealed class PartnerSystemRegistry(
    IPartnerClientDirectory directory,
    PartnerBrokerTopology? broker,
    PartnerInboundEndpoints inbound,
    RabbitMqOptions rabbit,
    ILogger<PartnerSystemRegistry> log)
{
    public async Task<RegisteredPartnerSystem> RegisterAsync(PartnerSystemRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var topology = Broker();
        var id = PartnerSystemId.New();
        var client = await directory.RegisterAsync(
            new PartnerClientRegistration(id, request.Organisation, request.DisplayName, request.Scopes, request.PublicJwk), cancellationToken);
        try
        {
            var secret = request.ClientSecret ? await directory.IssueSecretAsync(id, cancellationToken) : null;
            var credentials = await topology.ProvisionAsync(id.Value, request.Organisation.Value, cancellationToken);
            await inbound.ListenAsync(request.Organisation, cancellationToken);
            log.LogInformation("Partner system {PartnerSystem} registered for organisation {Organisation} with broker user {BrokerUser}",
                id.Value, request.Organisation.Value, credentials.Username);
            return new RegisteredPartnerSystem(client with { HasSecret = secret is not null }, secret, credentials, rabbit.Host, rabbit.Port);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogError(e, "Partner system {PartnerSystem} could not be provisioned on the broker; its client is disabled", id.Value);
            await directory.DisableAsync(id, CancellationToken.None);
            await topology.RevokeAsync(id.Value, CancellationToken.None);
            throw new PartnerSystemUnavailable("the message broker could not provision the partner system; nothing was registered, try again", e);
        }
    }

    private PartnerBrokerTopology Broker() => broker ?? throw new PartnerSystemUnavailable(
        "partner systems cannot be registered or revoked here: RabbitMq:ManagementUrl, AdminUsername and AdminPassword are not set", null);

    public Task<IReadOnlyList<PartnerClient>> ListAsync(OrganisationId organisation, CancellationToken cancellationToken) =>
        directory.ListAsync(organisation, cancellationToken);

    /// <summary>False when the system is not one of <paramref name="organisation"/>'s: another organisation's systems do not exist for its admin.</summary>
    public async Task<bool> RevokeAsync(OrganisationId organisation, PartnerSystemId id, CancellationToken cancellationToken)
    {
        var topology = Broker();
        if (await directory.FindAsync(id, cancellationToken) is not { } client || client.Organisation != organisation) return false;
        await directory.DisableAsync(id, cancellationToken);
        try
        {
            await topology.RevokeAsync(id.Value, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or InvalidOperationException or TaskCanceledException)
        {
            throw new PartnerSystemUnavailable("the partner system is disabled, but the message broker did not delete its user; revoke it again", e);
        }
        log.LogInformation("Partner system {PartnerSystem} of organisation {Organisation} revoked", id.Value, organisation.Value);
        return true;
    }
}

/// <summary>The broker could not complete a registration; the request may be retried.</summary>
public sealed class PartnerSystemUnavailable(string message, Exception? inner) : Exception(message, inner);
