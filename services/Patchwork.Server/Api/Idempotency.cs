using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Patchwork.Core.Clients;
using Patchwork.EventStore;

namespace Patchwork.Server.Api;

/// <summary>
/// <c>Idempotency-Key</c> on API POSTs: the first success is stored per caller and key and replayed, with its
/// Cache-Control, to a retry with the same body until the key expires (<see cref="IdempotencyOptions.Lifetime"/>), so a
/// retried request creates the thing once; the same key with another body is a 422. A success from an endpoint marked
/// <see cref="IdempotencyExtensions.HoldsCredentials"/> is remembered as made but its body is never stored: a retry is
/// a 409 saying so (the thing exists; its credentials were shown once), never a second copy of the secrets.
/// </summary>
internal sealed class IdempotentPosts(RequestDelegate next)
{
    public const string Header = "Idempotency-Key";
    private const int MaxKeyLength = 200;

    public async Task InvokeAsync(HttpContext context, IdempotencyKeys keys)
    {
        var key = context.Request.Headers[Header].ToString();
        if (CurrentActor.From(context.User) is not { } caller)
        {
            await next(context);
            return;
        }
        if (key.Length is 0 or > MaxKeyLength)
        {
            await ApiProblems.Invalid(Header, $"must have 1 to {MaxKeyLength} characters").ExecuteAsync(context);
            return;
        }

        var callerKey = $"{caller.Principal.Kind}:{caller.Principal.Id:N}";
        var hash = await HashAsync(context.Request);
        switch (await keys.ClaimAsync(callerKey, key, hash, context.RequestAborted))
        {
            case Claim.Replay { Withheld: true } made:
                if (made.Location is not null) context.Response.Headers.Location = made.Location;
                await TypedResults.Problem(
                    "the request with this Idempotency-Key succeeded, but its response held credentials, which are shown once and never stored; " +
                    "the thing it made exists (see Location): issue new credentials for it rather than retrying",
                    statusCode: StatusCodes.Status409Conflict, title: "Response held credentials and cannot be replayed").ExecuteAsync(context);
                return;
            case Claim.Replay stored:
                context.Response.StatusCode = stored.Status;
                if (stored.ContentType is not null) context.Response.ContentType = stored.ContentType;
                if (stored.Location is not null) context.Response.Headers.Location = stored.Location;
                if (stored.ETag is not null) context.Response.Headers.ETag = stored.ETag;
                if (stored.CacheControl is not null) context.Response.Headers.CacheControl = stored.CacheControl;
                context.Response.Headers["Idempotent-Replayed"] = "true";
                await context.Response.Body.WriteAsync(stored.Body, context.RequestAborted);
                return;
            case Claim.OtherRequest:
                await TypedResults.Problem("this Idempotency-Key was used for a different request", statusCode: StatusCodes.Status422UnprocessableEntity,
                    title: "Idempotency key reused").ExecuteAsync(context);
                return;
            case Claim.InProgress:
                await TypedResults.Problem("a request with this Idempotency-Key is still in progress; retry shortly", statusCode: StatusCodes.Status409Conflict,
                    title: "Conflict").ExecuteAsync(context);
                return;
        }

        var original = context.Response.Body;
        using var captured = new MemoryStream();
        context.Response.Body = captured;
        var completed = false;
        try
        {
            await next(context);
            var response = context.Response;
            if (response.StatusCode is >= 200 and < 300)
            {
                var withheld = context.GetEndpoint()?.Metadata.GetMetadata<HoldsCredentialsMetadata>() is not null;
                await keys.CompleteAsync(callerKey, key, new Claim.Replay(response.StatusCode, response.ContentType, ResponseHeader(response, "Location"),
                    ResponseHeader(response, "ETag"), ResponseHeader(response, "Cache-Control"), withheld ? [] : captured.ToArray(), withheld), CancellationToken.None);
                completed = true;
            }
        }
        finally
        {
            // Only a success is remembered: after a refusal or a fault the caller may fix things and retry with the same key.
            if (!completed) await keys.ReleaseAsync(callerKey, key, CancellationToken.None);
            context.Response.Body = original;
        }
        captured.Position = 0;
        await captured.CopyToAsync(original, context.RequestAborted);
    }

    private static string? ResponseHeader(HttpResponse response, string name) => response.Headers[name].ToString() is { Length: > 0 } value ? value : null;

    private static async Task<byte[]> HashAsync(HttpRequest request)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes($"{request.Method} {request.Path}{request.QueryString}\n"));
        if (request.Body.CanSeek)
        {
            request.Body.Position = 0;
            using var copy = new MemoryStream();
            await request.Body.CopyToAsync(copy);
            sha.AppendData(copy.ToArray());
            request.Body.Position = 0;
        }
        return sha.GetHashAndReset();
    }
}

internal abstract record Claim
{
    public sealed record Claimed : Claim;

    /// <summary>A completed request; <paramref name="Withheld"/>: it succeeded, but its body held credentials and was not kept.</summary>
    public sealed record Replay(int Status, string? ContentType, string? Location, string? ETag, string? CacheControl, byte[] Body, bool Withheld) : Claim;

    public sealed record OtherRequest : Claim;

    public sealed record InProgress : Claim;
}

/// <summary>How long a completed <c>Idempotency-Key</c> is remembered, and how often expired ones are pruned.</summary>
public sealed class IdempotencyOptions
{
    public const string Section = "Api:Idempotency";

    /// <summary>A retry after this long is a new request; its stored response is gone.</summary>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromHours(24);

    public TimeSpan PruneInterval { get; set; } = TimeSpan.FromMinutes(15);
}

/// <summary>The idempotency key table; the only code that knows its SQL.</summary>
internal sealed class IdempotencyKeys
{
    /// <summary>A claim left by a node that died mid-request stops blocking retries after this long.</summary>
    private static readonly TimeSpan Abandoned = TimeSpan.FromMinutes(1);

    private readonly NpgsqlDataSource _database;
    private readonly TimeProvider _clock;
    private readonly TimeSpan _lifetime;
    private readonly string _table;

    public IdempotencyKeys(NpgsqlDataSource database, EventStoreOptions options, IOptions<IdempotencyOptions> idempotency, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(idempotency);
        _database = database;
        _clock = clock;
        _lifetime = idempotency.Value.Lifetime;
        _table = CoreSchema.Quote(options.Schema) + ".idempotency_keys";
    }

    public async Task<Claim> ClaimAsync(string caller, string key, byte[] hash, CancellationToken cancellationToken)
    {
        var now = _clock.GetUtcNow().UtcDateTime;
        // A key is free again once abandoned mid-request, or once its completed response has expired (pruning may lag).
        await using (var claim = _database.CreateCommand(
            $"INSERT INTO {_table} AS k (caller, key, request_hash, created_at) VALUES (@caller, @key, @hash, @now) " +
            "ON CONFLICT (caller, key) DO UPDATE SET request_hash = excluded.request_hash, created_at = excluded.created_at, status = NULL, " +
            "content_type = NULL, location = NULL, etag = NULL, cache_control = NULL, body = NULL, withheld = false, completed_at = NULL " +
            "WHERE (k.status IS NULL AND k.created_at < @abandoned) OR k.completed_at < @expired RETURNING 1"))
        {
            claim.Parameters.AddWithValue("caller", caller);
            claim.Parameters.AddWithValue("key", key);
            claim.Parameters.AddWithValue("hash", hash);
            claim.Parameters.AddWithValue("now", now);
            claim.Parameters.AddWithValue("abandoned", now - Abandoned);
            claim.Parameters.AddWithValue("expired", now - _lifetime);
            if (await claim.ExecuteScalarAsync(cancellationToken) is not null) return new Claim.Claimed();
        }

        await using var read = _database.CreateCommand(
            $"SELECT request_hash, status, content_type, location, etag, body, cache_control, withheld FROM {_table} WHERE caller = @caller AND key = @key");
        read.Parameters.AddWithValue("caller", caller);
        read.Parameters.AddWithValue("key", key);
        await using var row = await read.ExecuteReaderAsync(cancellationToken);
        // Released between our insert and this read: the caller's retry will claim it.
        if (!await row.ReadAsync(cancellationToken)) return new Claim.InProgress();
        if (!row.GetFieldValue<byte[]>(0).AsSpan().SequenceEqual(hash)) return new Claim.OtherRequest();
        if (row.IsDBNull(1)) return new Claim.InProgress();
        return new Claim.Replay(row.GetInt32(1), row.IsDBNull(2) ? null : row.GetString(2), row.IsDBNull(3) ? null : row.GetString(3),
            row.IsDBNull(4) ? null : row.GetString(4), row.IsDBNull(6) ? null : row.GetString(6), row.IsDBNull(5) ? [] : row.GetFieldValue<byte[]>(5),
            row.GetBoolean(7));
    }

    public async Task CompleteAsync(string caller, string key, Claim.Replay response, CancellationToken cancellationToken)
    {
        await using var command = _database.CreateCommand(
            $"UPDATE {_table} SET status = @status, content_type = @contentType, location = @location, etag = @etag, cache_control = @cacheControl, " +
            "body = @body, withheld = @withheld, completed_at = @now WHERE caller = @caller AND key = @key");
        command.Parameters.AddWithValue("caller", caller);
        command.Parameters.AddWithValue("key", key);
        command.Parameters.AddWithValue("status", response.Status);
        command.Parameters.Add(Text("contentType", response.ContentType));
        command.Parameters.Add(Text("location", response.Location));
        command.Parameters.Add(Text("etag", response.ETag));
        command.Parameters.Add(Text("cacheControl", response.CacheControl));
        command.Parameters.Add(new NpgsqlParameter("body", NpgsqlDbType.Bytea) { Value = response.Withheld ? DBNull.Value : response.Body });
        command.Parameters.AddWithValue("withheld", response.Withheld);
        command.Parameters.AddWithValue("now", _clock.GetUtcNow().UtcDateTime);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Deletes completed keys past their lifetime and claims abandoned mid-request; returns how many.</summary>
    public async Task<int> PruneAsync(CancellationToken cancellationToken)
    {
        var now = _clock.GetUtcNow().UtcDateTime;
        await using var command = _database.CreateCommand(
            $"DELETE FROM {_table} WHERE completed_at < @expired OR (status IS NULL AND created_at < @abandoned)");
        command.Parameters.AddWithValue("expired", now - _lifetime);
        command.Parameters.AddWithValue("abandoned", now - Abandoned);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task ReleaseAsync(string caller, string key, CancellationToken cancellationToken)
    {
        await using var command = _database.CreateCommand($"DELETE FROM {_table} WHERE caller = @caller AND key = @key AND status IS NULL");
        command.Parameters.AddWithValue("caller", caller);
        command.Parameters.AddWithValue("key", key);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static NpgsqlParameter Text(string name, string? value) => new(name, NpgsqlDbType.Text) { Value = (object?)value ?? DBNull.Value };
}

/// <summary>Marks an endpoint whose success response holds credentials: it is never stored for an Idempotency-Key replay.</summary>
internal sealed class HoldsCredentialsMetadata;

internal static class IdempotencyExtensions
{
    public static TBuilder HoldsCredentials<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new HoldsCredentialsMetadata());
}

/// <summary>Deletes expired idempotency keys now and then, so stored responses do not outlive their lifetime.</summary>
internal sealed class IdempotencyKeyPruning(IdempotencyKeys keys, IOptions<IdempotencyOptions> options, ILogger<IdempotencyKeyPruning> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.PruneInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await keys.PruneAsync(stoppingToken);
            }
            // An outage must not stop the host; expired keys are refused at claim time anyway, and the next tick prunes.
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogWarning(e, "Expired idempotency keys could not be pruned; retrying in {Interval}", options.Value.PruneInterval);
            }
        }
    }
}
