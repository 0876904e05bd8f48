using Patchwork.Core;
using Patchwork.Core.Access;
using Patchwork.Core.Clients;
using Patchwork.Core.Threads;
using Patchwork.Core.Threads.Posting;
using Patchwork.Core.Threads.Starting;
using Patchwork.Core.Threads.Withdrawing;
using Patchwork.Server.Api;
using Patchwork.Server.Threads;
using Patchwork.Web.Desk;

namespace Patchwork.Server.Web;

/// <summary>The pages' thread desk, made of <see cref="MessageThreads"/>'s reads and its write pipeline, as the API is: the same policy, validation and audit.</summary>
public sealed class PageThreadDesk(IHttpContextAccessor accessor, MessageThreads threads, ClientTeamReader reader, PolicyOptions policy,
    EventStore.EventStore store, TimeProvider clock, IServiceProvider services) : IThreadDesk
{
    private HttpContext Http => accessor.HttpContext ?? throw new InvalidOperationException("The desk serves page requests only.");

    private CurrentActor Me => CurrentActor.From(Http.User) ?? throw new InvalidOperationException("A desk page admitted someone who is not a practitioner.");

    public async Task<ThreadList?> ThreadsAsync(ClientId client, CancellationToken cancellationToken)
    {
        var listed = await threads.ThreadsOfAsync(Http, Me, client, cancellationToken);
        if (listed.Problem is not null) return null;
        var list = listed.Value;
        var (sharing, partnership) = await reader.LoadAsync(client, cancellationToken);
        var names = await NamesAsync(partnership, cancellationToken);
        var me = (Actor.Practitioner)Me.Actor;
        var choices = sharing is null ? [] : AccessPolicy.TeamOf(sharing, partnership, Me.Viewer, clock.GetUtcNow(), policy).Visible
            .Select(v => v.Involvement)
            .Where(i => i.IsActive && i.Practitioner is { } p && p != me.Id)
            .DistinctBy(i => i.Practitioner)
            .Select(i => new Choice(i.Practitioner!.Value.Value.ToString(), NameOf(names, i.Practitioner.Value), $"{i.Role}, {partnership.Organisations.GetValueOrDefault(i.Organisation)?.Name}"))
            .ToList();
        return new ThreadList(client, await ClientNameAsync(client, cancellationToken), [.. list.Threads.Select(t => new ThreadSummary(t.ThreadId,
            NameOf(names, new PractitionerId(t.StartedBy)), string.Join(", ", t.Participants.Select(p => NameOf(names, new PractitionerId(p)))),
            t.StartedAt, t.Messages, t.LatestAt, t.Unread))], choices);
    }

    public async Task<ThreadPage?> ThreadAsync(ClientId client, Guid thread, CancellationToken cancellationToken)
    {
        var opened = await threads.ThreadAsync(Http, Me, client, new ThreadId(thread), cancellationToken);
        if (opened.Problem is not null) return null;
        var read = opened.Value;
        await threads.MarkAsReadAsync(Http, Me, client, new ThreadId(thread), cancellationToken);
        var names = await NamesAsync(await reader.PartnershipAsync(cancellationToken), cancellationToken);
        var me = ((Actor.Practitioner)Me.Actor).Id.Value;
        var now = clock.GetUtcNow();
        var entries = read.Messages.Select(m => new ThreadEntry(m.MessageId, NameOf(names, new PractitionerId(m.AuthorId)), m.PostedAt, m.Body, m.Withdrawn,
                m.AuthorId == me && !m.Withdrawn && now - m.PostedAt <= Withdrawing.Window,
                m.ReadBy.Count == 0 ? null : string.Join(", ", m.ReadBy.Select(r => NameOf(names, new PractitionerId(r.PractitionerId)))), IsAttention: false))
            .Concat(read.Attention.Select(a => new ThreadEntry(null, NameOf(names, new PractitionerId(a.RaisedBy)), a.At, null, false, false, null, IsAttention: true)))
            .OrderBy(e => e.At).ToList();
        return new ThreadPage(client, await ClientNameAsync(client, cancellationToken), read.ThreadId,
            string.Join(", ", read.Participants.Select(p => NameOf(names, new PractitionerId(p.PractitionerId)))), entries);
    }

    public async Task<DeskOutcome<Guid>> StartAsync(ClientId client, IReadOnlyList<Guid> participants, string? message, CancellationToken cancellationToken) =>
        DeskReading.Outcome(await threads.CarryOutAsync(Http, Me, Starting.UseCase(new StartThread(ThreadId.New(), client, MessageId.New(), [.. participants.Select(p => new PractitionerId(p))]),
            message, Me.Actor), cancellationToken), started => started.Thread.Value);

    public async Task<DeskOutcome<Guid>> ReplyAsync(ClientId client, Guid thread, string? body, CancellationToken cancellationToken) =>
        DeskReading.Outcome(await threads.CarryOutAsync(Http, Me, Posting.UseCase(client, new PostMessage(new ThreadId(thread), MessageId.New(), body ?? ""), Me.Actor), cancellationToken),
            posted => posted.Message.Value);

    public async Task<DeskOutcome<Guid>> WithdrawAsync(ClientId client, Guid thread, Guid message, CancellationToken cancellationToken) =>
        DeskReading.Outcome(await threads.CarryOutAsync(Http, Me, Withdrawing.UseCase(client, new ThreadId(thread), new MessageId(message), Me.Actor), cancellationToken),
            withdrawn => withdrawn.Message.Value);

    private Task<System.Collections.Immutable.ImmutableDictionary<PractitionerId, Core.Practitioners.Practitioner>> NamesAsync(Partnership partnership,
        CancellationToken cancellationToken) => DeskReading.PractitionersAsync(store, partnership.Organisations.Keys, cancellationToken);

    private static string NameOf(System.Collections.Immutable.ImmutableDictionary<PractitionerId, Core.Practitioners.Practitioner> names, PractitionerId id) =>
        names.GetValueOrDefault(id)?.Name ?? "A practitioner";

    private async Task<string> ClientNameAsync(ClientId client, CancellationToken cancellationToken) =>
        services.GetService<ClientIdentityVault>() is { } vault && await vault.ReadAsync(client, cancellationToken) is { } identity
            ? $"{identity.GivenNames} {identity.FamilyName}" : "Unnamed client";
}
