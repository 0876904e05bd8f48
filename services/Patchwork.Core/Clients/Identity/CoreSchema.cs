using Npgsql;

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

    public static async Task MigrateAsync(NpgsqlDataSource owner, string schema, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(owner);
        await using var connection = await owner.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Several nodes (or test hosts) may start at once: the lock makes them migrate one after another.
        await using (var create = new NpgsqlCommand(
            $"SELECT pg_advisory_xact_lock(hashtextextended('patchwork-core-migrations/{schema}', 0)); CREATE SCHEMA IF NOT EXISTS {Quote(schema)}", connection, transaction))
            await create.ExecuteNonQueryAsync(cancellationToken);
        foreach (var script in Scripts)
        {
            await using var stream = typeof(CoreSchema).Assembly.GetManifestResourceStream(script)
                ?? throw new InvalidOperationException($"{script} is not embedded");
            using var reader = new StreamReader(stream);
            var sql = (await reader.ReadToEndAsync(cancellationToken)).Replace("{schema}", Quote(schema), StringComparison.Ordinal);
            await using var command = new NpgsqlCommand(sql, connection, transaction);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>A schema name as a quoted identifier; names are ours (configuration, tests), never user input.</summary>
    public static string Quote(string schema) =>
        schema.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') && schema.Length is > 0 and < 64
            ? $"\"{schema}\""
            : throw new ArgumentException($"'{schema}' is not a valid schema name.", nameof(schema));
}
