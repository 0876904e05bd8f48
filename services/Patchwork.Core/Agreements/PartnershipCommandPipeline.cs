using Marten.Events;
using Npgsql;
using Patchwork.Core.Clients;
using Patchwork.EventStore;

namespace Patchwork.Core.Agreements;

/// <summary>
/// One use case on the partnership (an agreement made or ended), as its slice hands it to the partnership's write pipeline
/// for every door: the name its audit entries carry, its decision bound to the command and the actor, and where its event
/// goes, and the rule its audit entry names.
/// </summary>
public sealed record PartnershipUseCase<TEvent>(string Action, Func<Partnership, DateTimeOffset, Result<TEvent>> Decide, Action<IEventStoreOperations, TEvent> Append,
    Func<TEvent, string> Rule)
    where TEvent : notnull;

/// <summary>What became of a partnership use case: done, refused by its decision, or beaten by a concurrent writer of its stream.</summary>
public abstract record PartnershipActOutcome<TEvent>
{
    private PartnershipActOutcome()
    {
    }

    /// <summary>Appended with its statements; <paramref name="Partnership"/> is the partnership the decision read.</summary>
    public sealed record Done(TEvent Event, Partnership Partnership) : PartnershipActOutcome<TEvent>;

    public sealed record Refused(Problem Problem) : PartnershipActOutcome<TEvent>;

    public sealed record Conflict : PartnershipActOutcome<TEvent>;
}

/// <summary>
/// The partnership's one write pipeline, for the API and the pages alike: in one transaction, the partnership's lock, then
/// the partnership as every earlier partnership write left it, the slice's decision, the append and the door's statements
/// (its audit entry). Deciding under the lock means two administrators never both decide on a partnership the other is
/// changing.
/// </summary>
public sealed class PartnershipCommandPipeline(EventStore.EventStore store, ClientTeamReader reader, TimeProvider clock)
{
    public async Task<PartnershipActOutcome<TEvent>> HandleAsync<TEvent>(PartnershipUseCase<TEvent> useCase, EventMetadata metadata,
        Func<TEvent, IReadOnlyList<NpgsqlBatchCommand>> statements, CancellationToken cancellationToken)
        where TEvent : notnull
    {
        ArgumentNullException.ThrowIfNull(useCase);
        ArgumentNullException.ThrowIfNull(statements);
        await using var write = await store.OpenWriteTransactionAsync(metadata, cancellationToken);
        await write.LockKindOfAsync(typeof(TEvent), cancellationToken);
        // Read after the lock: any partnership write before this one has committed, and none can commit until this one has.
        var partnership = await reader.PartnershipAsync(cancellationToken);
        var decision = useCase.Decide(partnership, clock.GetUtcNow());
        if (decision.Problem is { } problem) return new PartnershipActOutcome<TEvent>.Refused(problem);
        useCase.Append(write.Session.Events, decision.Value);
        foreach (var statement in statements(decision.Value)) write.AfterSave(statement);
        return await write.CommitAsync(cancellationToken)
            ? new PartnershipActOutcome<TEvent>.Done(decision.Value, partnership)
            : new PartnershipActOutcome<TEvent>.Conflict();
    }
}
