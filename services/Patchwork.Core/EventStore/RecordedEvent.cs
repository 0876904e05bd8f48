namespace Patchwork.EventStore;

/// <summary>
/// An event as the log holds it. <see cref="Data"/> is the registered record for <see cref="Name"/>, or a
/// <see cref="System.Text.Json.JsonElement"/> when this process has no type registered under that name.
/// </summary>
public sealed record RecordedEvent(
    long Sequence,
    Guid Id,
    Guid StreamId,
    long Version,
    string Name,
    object Data,
    EventMetadata Metadata,
    DateTimeOffset RecordedAt);
