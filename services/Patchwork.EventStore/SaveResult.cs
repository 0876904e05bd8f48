namespace Patchwork.EventStore;

/// <summary>What a save did: every stream's new version, or the one reason nothing was written.</summary>
public sealed record SaveResult(IReadOnlyList<StreamVersion> Streams, AppendRejection? Rejection)
{
    public bool IsSaved => Rejection is null;

    internal static SaveResult Saved(IReadOnlyList<StreamVersion> streams) => new(streams, null);

    internal static SaveResult Rejected(AppendRejection rejection) => new([], rejection);
}

public sealed record StreamVersion(Guid StreamId, long Version);

/// <summary>Why an append was refused; a domain outcome (HTTP 409), not an exception.</summary>
public abstract record AppendRejection(Guid StreamId)
{
    /// <summary>Someone else appended since the writer read the stream.</summary>
    public sealed record VersionConflict(Guid StreamId, long Expected, long Actual) : AppendRejection(StreamId);

    /// <summary>A stream was started under an id that is already taken.</summary>
    public sealed record StreamAlreadyExists(Guid StreamId, long Actual) : AppendRejection(StreamId);

    /// <summary>The stream is archived and takes no more events.</summary>
    public sealed record StreamArchived(Guid StreamId) : AppendRejection(StreamId);
}

/// <summary>A stream folded into state, with the version to expect when appending to it.</summary>
public sealed record StreamState<TState>(Guid StreamId, TState State, long Version)
{
    public bool Exists => Version > 0;

    public ExpectedVersion ExpectedVersion => ExpectedVersion.Exactly(Version);
}
