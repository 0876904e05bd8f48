using Npgsql;
using Patchwork.EventStore;

namespace Patchwork.Core.Clients;

/// <summary>Where personal data lives and with which keys.</summary>
public sealed class PersonalDataOptions
{
    public const string Section = "PersonalData";

    /// <summary>The PostgreSQL schema of the identity and key ring tables (the event store's, by default).</summary>
    public string Schema { get; set; } = "patchwork";

    /// <summary>32 or more random bytes, base64: the key of the blind indexes. Kept outside the database.</summary>
    public string BlindIndexKey { get; set; } = "";

    /// <summary>A PKCS#12 file whose certificate encrypts the DataProtection key ring at rest.</summary>
    public string KeyRingCertificatePath { get; set; } = "";

    public string KeyRingCertificatePassword { get; set; } = "";
}

/// <summary>Creates the domain's own tables (personal data, read models), idempotently, as the owner role.</summary>
public static class CoreSchema
{
    private static readonly string[] Scripts =
    [
        "Patchwork.Core.Clients.Identity.personal_data.sql",
        "Patchwork.Core.Clients.GettingClientTeam.read_models.sql",
    ];

    public static Task MigrateAsync(NpgsqlDataSource owner, string schema, CancellationToken cancellationToken) =>
        SchemaScripts.ApplyAsync(owner, schema, "core", typeof(CoreSchema).Assembly, Scripts, cancellationToken);

    public static string Quote(string schema) => SchemaScripts.Quote(schema);
}
