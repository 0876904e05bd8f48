using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;
using Patchwork.Server.Tokens;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.Tokens;

/// <summary>A host in the middle of a rotation: a successor published ahead of signing, and a predecessor still published.</summary>
public sealed class RotatingTokenServer : TokenServer
{
    private static readonly string Keys = System.IO.Directory.CreateTempSubdirectory("patchwork-rotation-").FullName;

    protected override IReadOnlyDictionary<string, string> TokenSettings => new Dictionary<string, string>
    {
        ["Tokens:NextSigningCertificatePath"] = SigningCertificateFile.Write(Keys, "next", "next-password"),
        ["Tokens:NextSigningCertificatePassword"] = "next-password",
        ["Tokens:PreviousSigningCertificatePath"] = SigningCertificateFile.Write(Keys, "previous", "previous-password"),
        ["Tokens:PreviousSigningCertificatePassword"] = "previous-password",
    };
}

public static class SigningCertificateFile
{
    /// <summary>A PKCS#12 file holding a fresh self-signed EC P-256 certificate, as infra/local or an operator makes one.</summary>
    public static string Write(string directory, string name, string password, ECCurve? curve = null, DateTimeOffset? notAfter = null)
    {
        using var key = ECDsa.Create(curve ?? ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=patchwork-{name}", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), notAfter ?? DateTimeOffset.UtcNow.AddYears(1));
        var path = Path.Combine(directory, name + ".pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, password));
        return path;
    }
}

public sealed class SigningKeyRotationTests(RotatingTokenServer server) : IClassFixture<RotatingTokenServer>
{
    [Fact]
    public async Task The_successor_is_published_before_it_signs_and_the_predecessor_still_validates_its_tokens()
    {
        var partner = await server.GivenPartnerAsync(PartnerScopes.Read);
        var keys = server.Services.GetRequiredService<TokenCertificates>();
        var (next, previous) = (keys.PublishedOnly[0], keys.PublishedOnly[1]);

        var issued = new JsonWebToken(await server.AccessTokenFor(partner));
        var signedByNext = await server.SignedByUsAsync(partner, token => token.SigningCredentials = new SigningCredentials(next, "ES256"));
        var signedByPrevious = await server.SignedByUsAsync(partner, token => token.SigningCredentials = new SigningCredentials(previous, "ES256"));

        issued.Kid.ShouldBe(keys.Signing.KeyId);
        (await Kids()).ShouldBe([keys.Signing.KeyId, next.KeyId, previous.KeyId], ignoreOrder: true);
        (await server.WhoAmIAsync(issued.EncodedToken)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await server.WhoAmIAsync(signedByNext)).StatusCode.ShouldBe(HttpStatusCode.OK, "a resource server trusts every published key");
        (await server.WhoAmIAsync(signedByPrevious)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    private async Task<List<string>> Kids() =>
        (await server.JwksAsync()).GetProperty("keys").EnumerateArray().Select(key => key.GetProperty("kid").GetString()!).ToList();
}

/// <summary>A certificate that is missing, locked or of the wrong kind fails the start (and readiness), naming the setting.</summary>
public sealed class TokenCertificateTests
{
    private static readonly string Keys = System.IO.Directory.CreateTempSubdirectory("patchwork-keys-").FullName;

    [Fact]
    public void A_missing_unreadable_or_wrong_kind_of_certificate_is_refused_with_the_setting_it_came_from()
    {
        var good = Options(SigningCertificateFile.Write(Keys, "good", "right"), "right");
        TokenCertificates.Load(good).Signing.KeyId.ShouldNotBeNullOrEmpty();

        Should.Throw<InvalidOperationException>(() => TokenCertificates.Load(Options("", ""))).Message.ShouldContain("Tokens:SigningCertificatePath is not set");
        Should.Throw<InvalidOperationException>(() => TokenCertificates.Load(Options(Path.Combine(Keys, "absent.pfx"), "x")))
            .Message.ShouldContain("Tokens:SigningCertificatePath: no file at");
        Should.Throw<InvalidOperationException>(() => TokenCertificates.Load(Options(good.SigningCertificatePath, "wrong")))
            .Message.ShouldContain("is not a PKCS#12 file that its password opens");
        Should.Throw<InvalidOperationException>(() => TokenCertificates.Load(Options(SigningCertificateFile.Write(Keys, "p384", "p", ECCurve.NamedCurves.nistP384), "p")))
            .Message.ShouldContain("P-256");
        var withoutEncryption = Options(good.SigningCertificatePath, "right");
        withoutEncryption.EncryptionCertificatePath = "";
        Should.Throw<InvalidOperationException>(() => TokenCertificates.Load(withoutEncryption))
            .Message.ShouldContain("Tokens:EncryptionCertificatePath is not set");
    }

    [Fact]
    public async Task Readiness_reports_a_certificate_that_can_no_longer_be_read()
    {
        var path = SigningCertificateFile.Write(Keys, "replaced", "right");
        var options = Options(path, "right");
        var check = Check(options, new ManualClock(DateTimeOffset.UtcNow));
        (await check.CheckHealthAsync(new HealthCheckContext())).Status.ShouldBe(HealthStatus.Healthy);

        await File.WriteAllTextAsync(path, "not a certificate");

        var report = await check.CheckHealthAsync(new HealthCheckContext());
        report.Status.ShouldBe(HealthStatus.Unhealthy);
        report.Description.ShouldNotBeNull().ShouldContain("Tokens:SigningCertificatePath");
        report.Description.ShouldNotContain(path, Case.Sensitive, "readiness is public: it names the setting, never the file");
    }

    [Fact]
    public async Task Readiness_is_healthy_with_a_month_left_degraded_within_14_days_and_unhealthy_once_the_signing_certificate_expires()
    {
        var now = DateTimeOffset.UtcNow;
        var clock = new ManualClock(now);
        var check = Check(Options(SigningCertificateFile.Write(Keys, "ten-days", "right", notAfter: now.AddDays(10)), "right"), clock);
        var healthy = await Check(Options(SigningCertificateFile.Write(Keys, "a-month", "right", notAfter: now.AddDays(30)), "right"), clock)
            .CheckHealthAsync(new HealthCheckContext());
        healthy.Status.ShouldBe(HealthStatus.Healthy);
        ((double)healthy.Data["signingCertificateDaysLeft"]).ShouldBeInRange(29.9, 30.0);

        var expiring = await check.CheckHealthAsync(new HealthCheckContext());
        expiring.Status.ShouldBe(HealthStatus.Degraded);
        ((double)expiring.Data["signingCertificateDaysLeft"]).ShouldBeInRange(9.9, 10.0);
        expiring.Description.ShouldNotBeNull().ShouldContain("expires within 14 days");

        clock.Advance(TimeSpan.FromDays(11));
        var expired = await check.CheckHealthAsync(new HealthCheckContext());
        expired.Status.ShouldBe(HealthStatus.Unhealthy);
        expired.Description.ShouldBe("the signing certificate has expired");
    }

    private static TokenCertificatesReadiness Check(TokenOptions options, TimeProvider clock) =>
        new(options, new Health.HealthOptions(), clock, Microsoft.Extensions.Logging.Abstractions.NullLogger<TokenCertificatesReadiness>.Instance);

    private static TokenOptions Options(string signing, string password) => new()
    {
        SigningCertificatePath = signing,
        SigningCertificatePassword = password,
        EncryptionCertificatePath = LocalServers.Get("Tokens__EncryptionCertificatePath"),
        EncryptionCertificatePassword = LocalServers.Get("Tokens__EncryptionCertificatePassword"),
    };
}
