using Patchwork.Core.Access;
using Patchwork.EventStore;

namespace Patchwork.Core.Clients;

/// <summary>
/// One use case on a client's stream, as its slice hands it to the write pipeline (<see cref="ClientCommandPipeline"/>) for
/// every door — the API, the pages, a partner's bus command: the name its audit entries carry, what of the client the actor
/// must be able to see, and the slice's pure decision bound to the command and the actor. A door only says who acts, through
/// which channel, and how it answers; what the policy must check is the slice's, so no door can forget it.
/// </summary>
public sealed record ClientUseCase<TEvent>(ClientId Client, string Action, Func<ClientSharing, Partnership, DateTimeOffset, Result<TEvent>> Decide)
    where TEvent : notnull
{
    /// <summary>The involvement the use case acts on; someone the policy does not let see it is told it does not exist.</summary>
    public InvolvementId? Involvement { get; init; }

    /// <summary>For acts anyone may take on a client found by search (recording an involvement, breaking glass): the client need only exist.</summary>
    public bool OpenToAnyone { get; init; }

    /// <summary>
    /// A free-text justification to keep, erasably, under the id the event names (a grant's, a basis's), in the transaction
    /// that appends the event; the audit entry then refers to it rather than copying it into the trail.
    /// </summary>
    public (Guid Id, string? Text)? Justification { get; init; }

    /// <summary>The act the pipeline carries out: this use case, by <paramref name="actor"/>, seen as <paramref name="viewer"/> sees.</summary>
    public ClientAct By(Actor actor, Viewer viewer, EventMetadata metadata, long? expectedVersion = null) =>
        new(actor, viewer, Client, metadata) { Involvement = Involvement, OpenToAnyone = OpenToAnyone, ExpectedVersion = expectedVersion };
}
