using Npgsql;
using Patchwork.Core.Access;
using Patchwork.EventStore;

namespace Patchwork.Core.Clients;

/// <summary>One act on a client's stream, as any door (the API, a page, a partner's bus command) describes it.</summary>
public sealed record ClientAct(Actor Actor, Viewer Viewer, ClientId Client, EventMetadata Metadata)
{
    /// <summary>The involvement the act names; someone the policy does not let see it is told it does not exist.</summary>
    public InvolvementId? Involvement { get; init; }

    /// <summary>
    /// For acts anyone may take on a client found by search (recording an involvement, breaking glass): the client need only
    /// exist. Every other act needs the actor to see something of the client, or the client does not exist for them.
    /// </summary>
    public bool OpenToAnyone { get; init; }

    /// <summary>The version the actor decided against (an HTTP If-Match), checked after the policy; null when they named none.</summary>
    public long? ExpectedVersion { get; init; }
}

/// <summary>What became of an act: done, hidden by the policy, stale, refused by its decision, or beaten by a concurrent writer.</summary>
public abstract record ClientActOutcome<TEvent>
{
    private ClientActOutcome()
    {
    }

    /// <summary>Appended with its statements; <paramref name="Version"/> is the stream's new version, <paramref name="Rule"/> why the policy let the actor act.</summary>
    public sealed record Done(TEvent Event, long Version, string Rule) : ClientActOutcome<TEvent>;

    /// <summary>The client (or the involvement named) does not exist for this actor: <paramref name="Reason"/> is for the audit trail only.</summary>
    public sealed record Hidden(string Reason, string Detail, bool InvolvementOnly) : ClientActOutcome<TEvent>;

    /// <summary>The actor decided against a version the stream has moved past.</summary>
    public sealed record Stale : ClientActOutcome<TEvent>;

    /// <summary>The slice's decision refused the act.</summary>
    public sealed record Refused(Problem Problem) : ClientActOutcome<TEvent>;

    /// <summary>Another writer moved the stream between the fetch and the save: nothing was stored.</summary>
    public sealed record Conflict : ClientActOutcome<TEvent>;
}

/// <summary>
/// The one write pipeline of the client's stream, for every door: fetch the stream for writing with the partnership (Marten's
/// <c>FetchForWriting</c>, one round trip), let the access policy hide what it hides, compare the expected version after it
/// (so a stale version tells nobody a hidden client exists), decide with the clock's now, append to the fetched stream (Marten
/// insists on the version fetched) with the door's own statements (its audit entry, a justification, a partner command's
/// inbox row) in Marten's transaction, all or nothing. The doors map the outcome to their answers and audit refusals.
/// </summary>
public sealed class ClientCommandPipeline(EventStore.EventStore store, ClientTeamReader reader, PolicyOptions policy, TimeProvider clock,
    ClientIdentityVault? vault = null)
{
    /// <param name="decide">The slice's pure decision on the client's state, the partnership and now.</param>
    /// <param name="statements">
    /// What the door writes with the event, given the event, the client's state it was decided on and the policy's rule.
    /// </param>
    public async Task<ClientActOutcome<TEvent>> HandleAsync<TEvent>(ClientAct act,
        Func<ClientSharing, Partnership, DateTimeOffset, Result<TEvent>> decide,
        Func<TEvent, ClientSharing, string, IReadOnlyList<NpgsqlBatchCommand>> statements, CancellationToken cancellationToken)
        where TEvent : notnull
    {
        ArgumentNullException.ThrowIfNull(act);
        ArgumentNullException.ThrowIfNull(decide);
        ArgumentNullException.ThrowIfNull(statements);
        // No client has the empty id (Marten refuses it as a stream id): nothing to fetch, as for any unknown client.
        if (act.Client.Value == Guid.Empty) return new ClientActOutcome<TEvent>.Hidden("NoSuchClient", "no such client", InvolvementOnly: false);

        var now = clock.GetUtcNow();
        await using var session = store.OpenWriteSession(act.Metadata);
        var (stream, partnership) = await reader.FetchForWritingAsync(session, act.Client, cancellationToken);
        var state = stream.Aggregate?.Sharing ?? ClientSharing.Empty(act.Client);
        var version = stream.CurrentVersion ?? 0;

        var (hidden, rule) = await AdmitAsync<TEvent>(act, state, exists: version > 0, partnership, now, cancellationToken);
        if (hidden is not null) return hidden;
        if (act.ExpectedVersion is { } expected && expected != version) return new ClientActOutcome<TEvent>.Stale();

        var decision = decide(state, partnership, now);
        if (decision.Problem is { } problem) return new ClientActOutcome<TEvent>.Refused(problem);

        stream.AppendOne(decision.Value);
        StatementsBeforeCommit.Join(session, statements(decision.Value, state, rule));
        try
        {
            await session.SaveChangesAsync(cancellationToken);
        }
        // A unique violation of one of the door's own statements (a partner command's inbox row: another delivery of the
        // same message committed first) is not a concurrent change of the stream: it goes back to the door to read.
        catch (Exception e) when (ExceptionChain.IsConcurrencyRefusal(e))
        {
            return new ClientActOutcome<TEvent>.Conflict();
        }
        return new ClientActOutcome<TEvent>.Done(decision.Value, version + 1, rule);
    }

    /// <summary>
    /// Whether the policy hides the client (or the involvement named) from the actor, and if not, the rule that let them act,
    /// for the audit entry: a registered client for acts open to anyone, otherwise the policy's rules for what the actor sees
    /// of the team, and the rule that shows the involvement named.
    /// </summary>
    private async Task<(ClientActOutcome<TEvent>.Hidden? Hidden, string Rule)> AdmitAsync<TEvent>(ClientAct act, ClientSharing state, bool exists,
        Partnership partnership, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!exists)
        {
            var registered = act.OpenToAnyone && vault is not null && await vault.IsRegisteredAsync(act.Client, cancellationToken);
            return registered ? (null, "RegisteredClient") : (new("NoSuchClient", "no such client", InvolvementOnly: false), "NoSuchClient");
        }
        var rule = "RegisteredClient";
        if (!act.OpenToAnyone)
        {
            var team = AccessPolicy.TeamOf(state, partnership, act.Viewer, now, policy);
            var decisions = AccessPolicy.DecideAll(state, partnership, act.Viewer, now, policy);
            if (team.Visible.IsEmpty && team.Masked.IsEmpty) return (new(TeamReads.Reasons(decisions), "no such client", InvolvementOnly: false), "NoSuchClient");
            rule = "SeesClient(" + TeamReads.Rules(decisions) + ")";
        }
        if (act.Involvement is { } involvement)
        {
            if (AccessPolicy.Decide(state, partnership, act.Viewer, involvement, now, policy) is not { IsVisible: true } shown)
                return (new("InvolvementNotVisible", "no such involvement with this client", InvolvementOnly: true), "InvolvementNotVisible");
            rule += ";Involvement:" + shown.Rule;
        }
        return (null, rule);
    }
}
