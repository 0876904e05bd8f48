using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.Tokens;
using Patchwork.Server.PartnerBus.Registration;
using Patchwork.Server.Tokens;

namespace Patchwork.Server.Demo;

/// <summary>
/// For <c>./patchwork partner-sample</c>: plays the partner's developer and its organisation admin for the demo's
/// children's social care. It makes an EC P-256 key on this machine, registers the public half as the system's
/// private_key_jwt key, and leaves the private half in an owner-only PEM file (<c>Demo:PartnerRegistrationFile</c>
/// with <c>.key.pem</c> for <c>.json</c>) beside an owner-only JSON of what the registration returned (broker credentials
/// included), the issuer and where the key is — the way demo invitations are left in <c>.local/mail</c>. The private key
/// goes nowhere else: not to the database, not to a log. Files whose system is still enabled with that key are kept,
/// so restarting the demo does not mint new credentials.
/// </summary>
internal sealed class DemoPartnerSystem(string file, PartnerSystemRegistry registry, IPartnerClientDirectory directory, TokenOptions tokens,
    ILogger<DemoPartnerSystem> log) : IHostedService
{
    private string KeyFile => Path.ChangeExtension(Path.GetFullPath(file), ".key.pem");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var (previous, usable) = await PreviousAsync(cancellationToken);
        if (usable) return;
        // A system whose key file is gone, or that was registered for another issuer, is of no use: its credentials go too.
        if (previous is { } stale) await registry.RevokeAsync(DemoPartnership.SocialCare.Id, stale, cancellationToken);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var point = key.ExportParameters(includePrivateParameters: false).Q;
        var publicJwk = new JsonObject { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = Base64UrlEncoder.Encode(point.X!), ["y"] = Base64UrlEncoder.Encode(point.Y!) };
        var registered = await registry.RegisterAsync(new PartnerSystemRequest(DemoPartnership.SocialCare.Id, "Demo social care case system",
            [PartnerScopes.Read, PartnerScopes.InvolvementsWrite], publicJwk.ToJsonString(), ClientSecret: false), cancellationToken);
        var broker = registered.Broker;
        var json = JsonSerializer.SerializeToUtf8Bytes(new
        {
            issuer = tokens.IssuerIdentifier,
            partnerSystem = new { partnerSystemId = registered.Client.ClientId.Value, clientId = registered.Client.OAuthClientId },
            privateKeyJwt = new { keyId = registered.Client.PublicKeys.Single().Kid, privateKeyFile = KeyFile },
            broker = new
            {
                host = registered.BrokerHost, port = registered.BrokerPort, virtualHost = broker.VirtualHost, username = broker.Username,
                password = broker.Password, noticeQueue = broker.Names.NoticeQueue, inboundExchange = broker.Names.InboundExchange,
            },
        }, JsonSerializerOptions.Web);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        await WriteOwnerOnlyAsync(KeyFile, System.Text.Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem()), cancellationToken);
        await WriteOwnerOnlyAsync(file, json, cancellationToken);
        log.LogInformation("Demo partner system {PartnerSystem} registered with key {KeyId}; its registration is in {File}, its private key in {KeyFile}",
            registered.Client.ClientId.Value, registered.Client.PublicKeys.Single().Kid, file, KeyFile);
    }

    /// <summary>Credentials: owner-only on Unix, made afresh so an old file's permissions are not inherited.</summary>
    private static async Task WriteOwnerOnlyAsync(string path, byte[] content, CancellationToken cancellationToken)
    {
        File.Delete(path);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        await using var stream = new FileStream(path, options);
        await stream.WriteAsync(content, cancellationToken);
    }

    /// <summary>The enabled demo system the file names, if any, and whether the sample can still use it as the file describes.</summary>
    private async Task<(Core.PartnerSystemId? Enabled, bool Usable)> PreviousAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(file)) return (null, false);
        try
        {
            using var document = JsonDocument.Parse(await File.ReadAllBytesAsync(file, cancellationToken));
            var root = document.RootElement;
            var id = new Core.PartnerSystemId(root.GetProperty("partnerSystem").GetProperty("partnerSystemId").GetGuid());
            if (await directory.ActiveOrganisationAsync(id, cancellationToken) != DemoPartnership.SocialCare.Id) return (null, false);
            // Another issuer (the demo served at another address) would make the sample's assertions miss: register again.
            var usable = File.Exists(KeyFile) &&
                         root.TryGetProperty("issuer", out var issuer) && issuer.GetString() == tokens.IssuerIdentifier &&
                         root.TryGetProperty("privateKeyJwt", out var key) && key.GetProperty("keyId").GetString() is { } keyId &&
                         (await directory.FindAsync(id, cancellationToken))?.PublicKeys.Any(registered => registered.Kid == keyId) == true;
            return (id, usable);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return (null, false);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
