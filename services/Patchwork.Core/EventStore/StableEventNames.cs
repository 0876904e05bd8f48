using Marten;

namespace Patchwork.EventStore;

/// <summary>
/// Refuses, before anything is written, a save holding an event whose record has no stable name registered: Marten would
/// otherwise store it under a name made from its CLR type, which changes when the record is renamed or moved.
/// </summary>
internal sealed class StableEventNames(EventTypes types) : DocumentSessionListenerBase
{
    public override Task BeforeSaveChangesAsync(IDocumentSession session, CancellationToken token)
    {
        foreach (var e in session.PendingChanges.Streams().SelectMany(s => s.Events))
        {
            var type = e.Data.GetType();
            if (types.TypeOf(e.EventTypeName) != type)
                throw new InvalidOperationException($"{type.FullName} has no stable event name registered ([EventName] and EventTypes.Register): it is not stored under its CLR name.");
        }
        return Task.CompletedTask;
    }
}
