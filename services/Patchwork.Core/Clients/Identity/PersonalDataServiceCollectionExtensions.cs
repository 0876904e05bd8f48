using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Patchwork.Core.Clients;

public static class PersonalDataServiceCollectionExtensions
{
    /// <summary>
    /// DataProtection with its key ring in PostgreSQL, encrypted at rest by a certificate kept outside the
    /// database, plus the blind indexes and the identity vault. Needs an <see cref="NpgsqlDataSource"/>.
    /// </summary>
    public static IServiceCollection AddPatchworkPersonalData(this IServiceCollection services, PersonalDataOptions options,
        X509Certificate2 keyRingCertificate)
    {
        services.AddSingleton(options);
        services.AddSingleton(BlindIndex.FromBase64(options.BlindIndexKey));
        services.AddDataProtection()
            .SetApplicationName("patchwork")
            .ProtectKeysWithCertificate(keyRingCertificate)
            .UnprotectKeysWithAnyCertificate(keyRingCertificate);
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(provider => new ConfigureOptions<KeyManagementOptions>(keys =>
            keys.XmlRepository = new PostgresKeyRing(provider.GetRequiredService<NpgsqlDataSource>(), options.Schema)));
        services.AddSingleton<ClientIdentityVault>();
        services.AddSingleton<Justifications>();
        return services;
    }

    /// <summary>Loads the key ring certificate named by the options.</summary>
    public static X509Certificate2 LoadKeyRingCertificate(PersonalDataOptions options) =>
        string.IsNullOrWhiteSpace(options.KeyRingCertificatePath)
            ? throw new InvalidOperationException("PersonalData:KeyRingCertificatePath is not set.")
            : X509CertificateLoader.LoadPkcs12FromFile(options.KeyRingCertificatePath, options.KeyRingCertificatePassword,
                X509KeyStorageFlags.EphemeralKeySet);
}
