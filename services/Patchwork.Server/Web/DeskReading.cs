using System.Collections.Immutable;
using Patchwork.Core;
using Patchwork.Core.Clients;
using Patchwork.Core.Practitioners;
using Patchwork.Server.Api;
using Patchwork.Server.Api.Clients;
using Patchwork.Web.Desk;

namespace Patchwork.Server.Web;

/// <summary>What the pages' desks share: who is asking, what became of a use case or a read as a page shows it, and naming practitioners.</summary>
internal static class DeskReading
{
    public static HttpContext Http(IHttpContextAccessor accessor) =>
        accessor.HttpContext ?? throw new InvalidOperationException("The desk serves page requests only.");

    public static CurrentActor Me(HttpContext http) =>
        CurrentActor.From(http.User) ?? throw new InvalidOperationException("A desk page admitted someone who is not a practitioner.");

    /// <summary>
    /// Hands a use case to the client's write pipeline as the signed-in practitioner, through the web channel, and reads what
    /// became of it; a justification this node cannot keep is refused before, as the API answers 503 for it.
    /// </summary>
    public static async Task<DeskOutcome<TOut>> CarryOutAsync<TEvent, TOut>(ClientCommands commands, HttpContext http, ClientUseCase<TEvent> useCase,
        Func<TEvent, TOut> value, CancellationToken cancellationToken)
        where TEvent : notnull
    {
        ArgumentNullException.ThrowIfNull(commands);
        if (!commands.CanKeepJustificationOf(useCase)) return DeskOutcome<TOut>.Refused(new DeskRefusal(null, Capitalised(ClientCommands.NoPersonalDataStore)));
        return Outcome(await commands.CarryOutAsync(http, Me(http), useCase, expectedVersion: null, cancellationToken), value);
    }

    /// <summary>
    /// What became of a use case the page handed to the client's write pipeline: its value, or a refusal naming the field the
    /// decision named; hidden by the policy reads as not found, as it does on the API.
    /// </summary>
    public static DeskOutcome<TOut> Outcome<TEvent, TOut>(ClientActOutcome<TEvent> outcome, Func<TEvent, TOut> value)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        return outcome switch
        {
            ClientActOutcome<TEvent>.Done done => DeskOutcome<TOut>.Done(value(done.Event)),
            ClientActOutcome<TEvent>.Hidden => Refusal<TOut>(Problem.NotFound("no such client")),
            ClientActOutcome<TEvent>.Refused { Problem: var problem } => Refusal<TOut>(problem),
            ClientActOutcome<TEvent>.Stale => Refusal<TOut>(Problem.Conflict(ApiProblems.StaleDetail)),
            _ => Refusal<TOut>(Problem.Conflict(ApiProblems.ConcurrentChangeDetail)),
        };
    }

    /// <summary>What one handler shared with the API answered — a read, an admin act, a thread use case — as the page shows it.</summary>
    public static DeskOutcome<TOut> Outcome<T, TOut>(Result<T> answer, Func<T, TOut> value)
    {
        ArgumentNullException.ThrowIfNull(answer);
        ArgumentNullException.ThrowIfNull(value);
        return answer.Problem is { } problem ? Refusal<TOut>(problem) : DeskOutcome<TOut>.Done(value(answer.Value));
    }

    /// <summary>A page that finds or registers clients on a node given no identity vault: refused with the API's reason (503 there).</summary>
    public static DeskOutcome<TOut> NoVault<TOut>() => DeskOutcome<TOut>.Refused(new DeskRefusal(null, Capitalised(ClientReads.NoVault)));

    /// <summary>A decision's refusal as a page shows it: the field it names, "not found", or the reason (and whether it is a likely match).</summary>
    public static DeskOutcome<TOut> Refusal<TOut>(Problem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        return problem.Kind switch
        {
            ProblemKind.NotFound => DeskOutcome<TOut>.Refused(new DeskRefusal(null, "Not found", NotFound: true)),
            ProblemKind.Invalid => DeskOutcome<TOut>.Refused(new DeskRefusal(problem.Field ?? "request", Capitalised(problem.Detail))),
            _ => DeskOutcome<TOut>.Refused(new DeskRefusal(null, Capitalised(problem.Detail))
            {
                LikelyMatch = problem is { Kind: ProblemKind.Conflict, Detail: ClientReads.LikelyMatchDetail },
            }),
        };
    }

    /// <summary>The practitioners of the given organisations, from each organisation's stream.</summary>
    public static async Task<ImmutableDictionary<PractitionerId, Practitioner>> PractitionersAsync(EventStore.EventStore store, IEnumerable<OrganisationId> organisations,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(organisations);
        await using var query = store.Marten.QuerySession();
        var known = ImmutableDictionary<PractitionerId, Practitioner>.Empty;
        foreach (var organisation in organisations)
        {
            var events = await query.Events.FetchStreamAsync(organisation.Value, token: cancellationToken);
            known = events.Aggregate(known, (state, e) => e.Data is PractitionerRegistered registered ? state.SetItem(registered.Practitioner, Practitioner.From(registered)) : state);
        }
        return known;
    }

    public static string Capitalised(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];
}
