using System.Text.Json;
using Patchwork.Server.PartnerBus.Registration;
using Patchwork.Server.Tokens;

namespace Patchwork.Server.Demo;

/// <summary>
/// For <c>./patchwork partner-sample</c>: registers a partner system for the demo's children's social care, as its
/// organisation admin would, and writes what the registration returns — credentials included — to an owner-only
/// file (<c>Demo:PartnerRegistrationFile</c>), the way demo invitations are left in <c>.local/mail</c>. A file whose
/// system is still enabled is kept, so restarting the demo does not mint new credentials.
/// </summary>
internal sealed class DemoPartnerSystem(string file, PartnerSystemRegistry registry, IPartnerClientDirectory directory, ILogger<DemoPartnerSystem> log)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (await StillEnabledAsync(cancellationToken)) return;
        var registered = await registry.RegisterAsync(new PartnerSystemRequest(DemoPartnership.SocialCare.Id, "Demo social care case system",
            [PartnerScopes.Read, PartnerScopes.InvolvementsWrite], null, ClientSecret: true), cancellationToken);
        var broker = registered.Broker;
        var json = JsonSerializer.SerializeToUtf8Bytes(new
        {
            partnerSystem = new { partnerSystemId = registered.Client.ClientId.Value, clientId = registered.Client.OAuthClientId },
            clientSecret = registered.ClientSecret,
            broker = new
            {
                host = registered.BrokerHost, port = registered.BrokerPort, virtualHost = broker.VirtualHost, username = broker.Username,
                password = broker.Password, noticeQueue = broker.Names.NoticeQueue, inboundExchange = broker.Names.InboundExchange,
            },
        }, JsonSerializerOptions.Web);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        // Credentials: owner-only on Unix, made afresh so an old file's permissions are not inherited.
        File.Delete(file);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        await using (var stream = new FileStream(file, options))
        {
            await stream.WriteAsync(json, cancellationToken);
        }
        log.LogInformation("Demo partner system {PartnerSystem} registered; its credentials are in {File}", registered.Client.ClientId.Value, file);
    }

    private async Task<bool> StillEnabledAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(file)) return false;
        try
        {
            using var document = JsonDocument.Parse(await File.ReadAllBytesAsync(file, cancellationToken));
            var id = document.RootElement.GetProperty("partnerSystem").GetProperty("partnerSystemId").GetGuid();
            return await directory.ActiveOrganisationAsync(new Core.PartnerSystemId(id), cancellationToken) == DemoPartnership.SocialCare.Id;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return false;
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
