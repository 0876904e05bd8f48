using System.Diagnostics;
using Patchwork.Core.Clients;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.Foundation;

/// <summary>
/// <c>infra/local</c> against a private directory (no server is started: <c>env</c> only makes the secrets and the key-ring
/// certificate): whatever happens to <c>.local/</c>, the certificate it names opens with the password it names, the way
/// the server loads it at start.
/// </summary>
public sealed class LocalInfraTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("patchwork-local-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task After_reset_the_key_ring_certificate_opens_with_the_new_password()
    {
        using var before = LoadKeyRing(await EnvAsync());

        await InfraAsync("reset");
        File.Exists(Path.Combine(_dir, "key-ring.pfx")).ShouldBeFalse("reset deletes the certificate with its password");

        using var after = LoadKeyRing(await EnvAsync());
        after.Thumbprint.ShouldNotBe(before.Thumbprint);
    }

    [Fact]
    public async Task A_certificate_whose_password_was_lost_is_made_again_instead_of_crashing_the_server()
    {
        using var before = LoadKeyRing(await EnvAsync());

        File.Delete(Path.Combine(_dir, "secrets.env"));

        using var after = LoadKeyRing(await EnvAsync());
        after.Thumbprint.ShouldNotBe(before.Thumbprint);
        using var again = LoadKeyRing(await EnvAsync());
        again.Thumbprint.ShouldBe(after.Thumbprint, "a certificate that opens is kept");
    }

    private static System.Security.Cryptography.X509Certificates.X509Certificate2 LoadKeyRing(IReadOnlyDictionary<string, string> env) =>
        PersonalDataServiceCollectionExtensions.LoadKeyRingCertificate(new PersonalDataOptions
        {
            KeyRingCertificatePath = env["PersonalData__KeyRingCertificatePath"],
            KeyRingCertificatePassword = env["PersonalData__KeyRingCertificatePassword"],
        });

    private async Task<IReadOnlyDictionary<string, string>> EnvAsync()
    {
        var output = await InfraAsync("env");
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0) env[line[..equals]] = line[(equals + 1)..].Trim('\'');
        }
        env["PersonalData__KeyRingCertificatePath"].ShouldStartWith(_dir);
        return env;
    }

    private async Task<string> InfraAsync(string command)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(LocalServers.InfraScript);
        start.ArgumentList.Add(command);
        start.Environment["PATCHWORK_LOCAL_DIR"] = _dir;
        // Ports nobody listens on, so that a mistake here could never stop the servers the other tests use.
        foreach (var name in new[] { "PATCHWORK_PG_PORT", "PATCHWORK_AMQP_PORT", "PATCHWORK_RABBIT_DIST_PORT", "PATCHWORK_EPMD_PORT", "PATCHWORK_RABBIT_HTTP_PORT" })
            start.Environment[name] = LoopbackPort.Free().ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(deadline.Token);
        process.ExitCode.ShouldBe(0, await stderr);
        return await stdout;
    }
}
