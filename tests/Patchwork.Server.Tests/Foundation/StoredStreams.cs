using Patchwork.EventStore;

namespace Patchwork.Server.Tests.Foundation;

/// <summary>A stream's events as the log holds them, read back through Marten for a test to inspect.</summary>
internal static class StoredStreams
{
    public static async Task<IReadOnlyList<RecordedEvent>> FetchAsync(EventStore.EventStore store, Guid streamId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        await using var query = store.Marten.QuerySession();
        return [.. (await query.Events.FetchStreamAsync(streamId, token: cancellationToken)).Select(store.ToRecorded)];
    }
}
