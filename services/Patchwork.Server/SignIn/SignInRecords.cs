using System.Security.Cryptography;
using System.Text;
using Npgsql;
using NpgsqlTypes;

namespace Patchwork.Server.SignIn;

/// <summary>What one attempt claimed from the per-account allowance, so its outcome can settle it.</summary>
public sealed record AttemptClaim(byte[] AccountKey, DateTimeOffset? PreviousRetryAt, DateTimeOffset? HeldUntil);

/// <summary>
/// The sign-in state every node must share, in plain tables beside Identity's: sessions ended by signing out, the last
/// authenticator time step each account used, and failed attempts per account (keyed by a hash of the normalised email,
/// so an address without an account is throttled exactly like one with, and is never stored in clear).
/// </summary>
public sealed class SignInRecords(NpgsqlDataSource database, SignInSchema schema, PractitionerSignInOptions options, TimeProvider clock)
{
    private readonly string _schema = Patchwork.EventStore.SchemaScripts.Quote(schema.Name);

    /// <summary>Records one session (the cookie's session id) as ended until no cookie issued for it could still be alive.</summary>
    public async Task EndSessionAsync(Guid userId, Guid sessionId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var batch = database.CreateBatch();
        batch.BatchCommands.Add(Command(
            $"INSERT INTO {_schema}.identity_ended_session (session_id, user_id, expires_at) VALUES ($1, $2, $3) ON CONFLICT (session_id) DO NOTHING",
            sessionId, userId, now + options.SessionIdleTimeout + TimeSpan.FromMinutes(5)));
        batch.BatchCommands.Add(Command($"DELETE FROM {_schema}.identity_ended_session WHERE expires_at < $1", now));
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlySet<Guid>> EndedSessionsAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand($"SELECT session_id FROM {_schema}.identity_ended_session WHERE user_id = $1 AND expires_at > $2");
        command.Parameters.Add(new NpgsqlParameter { Value = userId });
        command.Parameters.Add(new NpgsqlParameter { Value = clock.GetUtcNow() });
        var ended = new HashSet<Guid>();
        await using var rows = await command.ExecuteReaderAsync(cancellationToken);
        while (await rows.ReadAsync(cancellationToken)) ended.Add(rows.GetGuid(0));
        return ended;
    }

    /// <summary>
    /// RFC 6238 §5.2: an authenticator code is accepted once. True when <paramref name="step"/> is later than every step
    /// this account used before (and is now its last); one conditional write, so two nodes racing with one code cannot both win.
    /// </summary>
    public async Task<bool> AcceptAuthenticatorStepAsync(Guid userId, long step, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            $"""
            INSERT INTO {_schema}.identity_authenticator_step AS used (user_id, last_step) VALUES ($1, $2)
            ON CONFLICT (user_id) DO UPDATE SET last_step = EXCLUDED.last_step WHERE used.last_step < EXCLUDED.last_step
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = userId });
        command.Parameters.Add(new NpgsqlParameter { Value = step });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>The key failed attempts are counted under: the same for an address with or without an account.</summary>
    public static byte[] AccountKey(string normalisedEmail) => SHA256.HashData(Encoding.UTF8.GetBytes(normalisedEmail));

    /// <summary>
    /// How long the account must wait after its <paramref name="failures"/>-th failure in a row: nothing below
    /// <see cref="PractitionerSignInOptions.MaxFailedAttempts"/>, then <see cref="PractitionerSignInOptions.FailureDelay"/>,
    /// doubling with each further failure up to <see cref="PractitionerSignInOptions.MaxFailureDelay"/>.
    /// </summary>
    public TimeSpan DelayAfter(int failures)
    {
        if (failures < options.MaxFailedAttempts) return TimeSpan.Zero;
        var delay = options.FailureDelay;
        for (var failure = options.MaxFailedAttempts; failure < failures && delay < options.MaxFailureDelay; failure++) delay *= 2;
        return delay < options.MaxFailureDelay ? delay : options.MaxFailureDelay;
    }

    /// <summary>
    /// Claims one attempt for the account: the time left to wait when it must wait, otherwise a claim. Past the threshold
    /// the claim holds the account as if this attempt failed, so requests racing in at the end of a delay get one try between them.
    /// </summary>
    public async Task<(AttemptClaim? Claim, TimeSpan Wait)> ClaimAttemptAsync(byte[] accountKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(accountKey);
        var now = clock.GetUtcNow();
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        int failures;
        DateTimeOffset? retryAt;
        await using (var read = new NpgsqlCommand(
                         $"SELECT failures, retry_at FROM {_schema}.identity_sign_in_failure WHERE account_key = $1 FOR UPDATE", connection, transaction))
        {
            read.Parameters.Add(new NpgsqlParameter { Value = accountKey, NpgsqlDbType = NpgsqlDbType.Bytea });
            await using var row = await read.ExecuteReaderAsync(cancellationToken);
            if (!await row.ReadAsync(cancellationToken)) return (new AttemptClaim(accountKey, null, null), TimeSpan.Zero);
            failures = row.GetInt32(0);
            retryAt = row.IsDBNull(1) ? null : row.GetFieldValue<DateTimeOffset>(1);
        }
        if (retryAt > now) return (null, retryAt.Value - now);
        if (failures < options.MaxFailedAttempts) return (new AttemptClaim(accountKey, retryAt, null), TimeSpan.Zero);
        var hold = Microseconds(now + DelayAfter(failures + 1));
        await using (var update = new NpgsqlCommand(
                         $"UPDATE {_schema}.identity_sign_in_failure SET retry_at = $2 WHERE account_key = $1", connection, transaction))
        {
            update.Parameters.Add(new NpgsqlParameter { Value = accountKey, NpgsqlDbType = NpgsqlDbType.Bytea });
            update.Parameters.Add(new NpgsqlParameter { Value = hold });
            await update.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return (new AttemptClaim(accountKey, retryAt, hold), TimeSpan.Zero);
    }

    /// <summary>Counts a failure; returns the number in a row, so the caller can tell the holder when it reaches the threshold.</summary>
    public async Task<int> FailedAsync(AttemptClaim claim, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        var now = clock.GetUtcNow();
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        int failures;
        await using (var count = new NpgsqlCommand(
                         $"""
                         INSERT INTO {_schema}.identity_sign_in_failure AS f (account_key, failures, last_failure_at) VALUES ($1, 1, $2)
                         ON CONFLICT (account_key) DO UPDATE SET failures = f.failures + 1, last_failure_at = EXCLUDED.last_failure_at
                         RETURNING failures
                         """, connection))
        {
            count.Parameters.Add(new NpgsqlParameter { Value = claim.AccountKey, NpgsqlDbType = NpgsqlDbType.Bytea });
            count.Parameters.Add(new NpgsqlParameter { Value = now });
            failures = (int)(await count.ExecuteScalarAsync(cancellationToken))!;
        }
        await using var settle = new NpgsqlBatch(connection);
        if (failures >= options.MaxFailedAttempts)
        {
            settle.BatchCommands.Add(Command(
                $"UPDATE {_schema}.identity_sign_in_failure SET retry_at = $2 WHERE account_key = $1 AND (retry_at IS NULL OR retry_at < $2)",
                claim.AccountKey, Microseconds(now + DelayAfter(failures))));
        }
        // Rows of a quiet day go: the count is of failures in a row, and addresses without accounts must not pile up.
        settle.BatchCommands.Add(Command(
            $"DELETE FROM {_schema}.identity_sign_in_failure WHERE last_failure_at < $1 AND (retry_at IS NULL OR retry_at < $2)",
            now - TimeSpan.FromDays(1), now));
        await settle.ExecuteNonQueryAsync(cancellationToken);
        return failures;
    }

    /// <summary>The password was right: this attempt gives back the hold it took, so the second factor can follow at once.</summary>
    public async Task PasswordAcceptedAsync(AttemptClaim claim, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        if (claim.HeldUntil is not { } held) return;
        await using var command = database.CreateCommand(
            $"UPDATE {_schema}.identity_sign_in_failure SET retry_at = $3 WHERE account_key = $1 AND retry_at = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = claim.AccountKey, NpgsqlDbType = NpgsqlDbType.Bytea });
        command.Parameters.Add(new NpgsqlParameter { Value = held });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)claim.PreviousRetryAt ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Signed in with both factors: the failures in a row are over.</summary>
    public async Task SignedInAsync(byte[] accountKey, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand($"DELETE FROM {_schema}.identity_sign_in_failure WHERE account_key = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = accountKey, NpgsqlDbType = NpgsqlDbType.Bytea });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static NpgsqlBatchCommand Command(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
            command.Parameters.Add(value is byte[] ? new NpgsqlParameter { Value = value, NpgsqlDbType = NpgsqlDbType.Bytea } : new NpgsqlParameter { Value = value });
        return command;
    }

    /// <summary>PostgreSQL keeps microseconds: a value compared after a round trip must not carry finer ticks.</summary>
    private static DateTimeOffset Microseconds(DateTimeOffset value) => new(value.UtcTicks - value.UtcTicks % 10, TimeSpan.Zero);
}
