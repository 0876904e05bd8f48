using System.Reflection;

namespace Patchwork.EventStore;

/// <summary>The embedded SQL files, with the schema (and role) substituted as quoted identifiers.</summary>
internal sealed class StoreSql
{
    private static readonly Assembly Assembly = typeof(StoreSql).Assembly;

    public StoreSql(string schema)
    {
        Schema = QuoteIdentifier(schema);
        Channel = schema + "_events";
        LockNamePrefix = schema + "/";
        StreamLockNamePrefix = schema + "/stream/";
        AppendToNewStream = Compose("claim_new_stream.sql");
        AppendAtVersion = Compose("claim_stream_at_version.sql");
        AppendAtAnyVersion = Compose("claim_stream_at_any_version.sql");
        AppendToNewStreamAfterLock = Compose("claim_new_stream.sql", lockTaken: true);
        AppendAtVersionAfterLock = Compose("claim_stream_at_version.sql", lockTaken: true);
        AppendAtAnyVersionAfterLock = Compose("claim_stream_at_any_version.sql", lockTaken: true);
        ClaimNewStream = Render("claim_new_stream.sql");
        ClaimAtVersion = Render("claim_stream_at_version.sql");
        ClaimAtAnyVersion = Render("claim_stream_at_any_version.sql");
        LockStreams = Render("lock_streams.sql");
        InsertEvents = Render("insert_events.sql");
        ReadStreamVersion = Render("read_stream_version.sql");
        ReadStream = Render("read_stream.sql");
        ReadEventsByName = Render("read_events_by_name.sql");
        ArchiveStream = Render("archive_stream.sql");
        EnsureSubscription = Render("ensure_subscription.sql");
        ReadSubscription = Render("read_subscription.sql");
        ReadSubscriptionPage = Render("read_subscription_page.sql");
        SaveCheckpoint = Render("save_checkpoint.sql");
        RecordSubscriptionFailure = Render("record_subscription_failure.sql");
        ResumeSubscription = Render("resume_subscription.sql");
        TakeSubscriptionLead = Render("take_subscription_lead.sql");
        ReadSubscriptionStatus = Render("read_subscription_status.sql");
        AnnounceAppend = Render("announce_append.sql");
    }

    public string Schema { get; }

    /// <summary>The LISTEN/NOTIFY channel that wakes this schema's subscription runners.</summary>
    public string Channel { get; }

    public string LockNamePrefix { get; }

    public string StreamLockNamePrefix { get; }

    public string AppendToNewStream { get; }
    public string AppendAtVersion { get; }
    public string AppendAtAnyVersion { get; }

    /// <summary>The append statements for a transaction that ran lock_streams.sql first (a group commit): no $13.</summary>
    public string AppendToNewStreamAfterLock { get; }
    public string AppendAtVersionAfterLock { get; }
    public string AppendAtAnyVersionAfterLock { get; }
    public string ClaimNewStream { get; }
    public string ClaimAtVersion { get; }
    public string ClaimAtAnyVersion { get; }
    public string LockStreams { get; }
    public string InsertEvents { get; }
    public string ReadStreamVersion { get; }
    public string ReadStream { get; }
    public string ReadEventsByName { get; }
    public string ArchiveStream { get; }
    public string EnsureSubscription { get; }
    public string ReadSubscription { get; }
    public string ReadSubscriptionPage { get; }
    public string SaveCheckpoint { get; }
    public string RecordSubscriptionFailure { get; }
    public string ResumeSubscription { get; }
    public string TakeSubscriptionLead { get; }
    public string ReadSubscriptionStatus { get; }
    public string AnnounceAppend { get; }

    /// <summary>The numbered migration scripts, in the order they apply.</summary>
    public static IReadOnlyList<string> MigrationNames { get; } =
        Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            .Select(n => n[ResourcePrefix.Length..])
            .Where(n => n.Length > 4 && char.IsAsciiDigit(n[0]) && char.IsAsciiDigit(n[1]) && char.IsAsciiDigit(n[2]) && n[3] == '_')
            .Order(StringComparer.Ordinal)
            .ToList();

    public string Migration(string name, string applicationRole) =>
        Render(name).Replace("{app_role}", QuoteIdentifier(applicationRole), StringComparison.Ordinal);

    /// <summary>Quotes a name so it can only ever be an identifier, whatever characters it holds.</summary>
    public static string QuoteIdentifier(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name.Contains('\0', StringComparison.Ordinal) || System.Text.Encoding.UTF8.GetByteCount(name) > 63)
            throw new ArgumentException($"'{name}' cannot be a PostgreSQL identifier (at most 63 bytes, no NUL).", nameof(name));
        return "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    private const string ResourcePrefix = "Patchwork.EventStore.Sql.";

    private string Compose(string claim, bool lockTaken = false) =>
        Render("append_events.sql").Replace("{claim}", Load(claim).Replace("{locked}", lockTaken ? "true" : LockInClaim, StringComparison.Ordinal), StringComparison.Ordinal)
            .Replace("{schema}", Schema, StringComparison.Ordinal);

    /// <summary>A claim on its own runs after lock_streams.sql; inside append_events.sql it takes the lock itself.</summary>
    private const string LockInClaim = "(SELECT true FROM (SELECT pg_advisory_xact_lock(hashtextextended($13 || $1::text, 0))) AS stream_lock)";

    private string Render(string file) => Load(file).Replace("{schema}", Schema, StringComparison.Ordinal).Replace("{locked}", "true", StringComparison.Ordinal);

    private static string Load(string file)
    {
        using var stream = Assembly.GetManifestResourceStream(ResourcePrefix + file)
            ?? throw new InvalidOperationException($"The SQL file {file} is not embedded.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
