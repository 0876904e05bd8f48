using MassTransit;
using Npgsql;
using Patchwork.Core;
using Patchwork.Core.Access;
using Patchwork.Core.Clients;
using Patchwork.Server.Tokens;
using V1 = Patchwork.Contracts.V1;

namespace Patchwork.Server.PartnerBus;

/// <summary>
/// Visibility that ends by the calendar — a consent or a sharing agreement that expires, an ended involvement passing
/// the policy's window — has no event, so the relay never sees it go. Every interval one node (a PostgreSQL advisory
/// lock keeps the others out) evaluates the policy now for each involvement a partner organisation was told of, and
/// tells the organisation "no longer shared" for each it can no longer see, then forgets it. The notice is sent and
/// confirmed before the organisation's record of it is deleted, and its id is derived from the organisation, the
/// involvement and the client's last position, so a check cut short by a crash resends the same notice, not a new one.
/// </summary>
public sealed class PartnerExpiryCheck(
    EventStore.EventStore store,
    ClientTeamReader teams,
    IPartnerClientDirectory partners,
    IBus endpoints,
    PolicyOptions policy,
    TimeProvider clock,
    IConfiguration configuration,
    ILogger<PartnerExpiryCheck> log) : BackgroundService
{
    private const string LockName = "patchwork.partner-expiry-check";

    private string ToldTable => CoreSchema.Quote(store.Schema) + ".partner_told";

    /// <summary>One pass; returns how many notices it sent, or null when another node holds the check.</summary>
    public async Task<int?> CheckOnceAsync(CancellationToken cancellationToken)
    {
        await using var connection = await store.DataSource.OpenConnectionAsync(cancellationToken);
        await using (var take = new NpgsqlCommand("SELECT pg_try_advisory_lock(hashtext(@name))", connection))
        {
            take.Parameters.AddWithValue("name", LockName);
            if (!(bool)(await take.ExecuteScalarAsync(cancellationToken))!) return null;
        }
        try
        {
            return await TellWhatExpiredAsync(connection, cancellationToken);
        }
        finally
        {
            await using var release = new NpgsqlCommand("SELECT pg_advisory_unlock(hashtext(@name))", connection);
            release.Parameters.AddWithValue("name", LockName);
            await release.ExecuteScalarAsync(CancellationToken.None);
        }
    }

    private async Task<int> TellWhatExpiredAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var told = new List<(OrganisationId Organisation, InvolvementId Involvement, ClientId Client)>();
        await using (var read = new NpgsqlCommand($"SELECT organisation_id, involvement_id, client_id FROM {ToldTable}", connection))
        await using (var rows = await read.ExecuteReaderAsync(cancellationToken))
        {
            while (await rows.ReadAsync(cancellationToken))
                told.Add((new OrganisationId(rows.GetGuid(0)), new InvolvementId(rows.GetGuid(1)), new ClientId(rows.GetGuid(2))));
        }
        if (told.Count == 0) return 0;
        var listening = await partners.OrganisationsWithActiveClientsAsync(cancellationToken);

        var sent = 0;
        foreach (var client in told.Where(t => listening.Contains(t.Organisation)).GroupBy(t => t.Client))
        {
            IReadOnlyList<JasperFx.Events.IEvent> history;
            await using (var query = store.Marten.QuerySession()) history = await query.Events.FetchStreamAsync(client.Key.Value, token: cancellationToken);
            if (history.Count == 0) continue;
            var (_, partnership) = await teams.LoadAsync(client.Key, cancellationToken);
            var state = ClientSharing.From(client.Key, history.Select(e => e.Data));
            var position = history.Max(e => e.Sequence);
            var now = clock.GetUtcNow();
            foreach (var (organisation, involvement, _) in client)
            {
                var seen = AccessPolicy.TeamOf(state, partnership, Viewer.ForOrganisation(organisation), now, policy).Visible.Any(v => v.Involvement.Id == involvement);
                if (seen) continue;
                var id = PartnerRelay.NoticeId(Guid.Empty, organisation, $"expired@{position}", involvement.Value);
                var endpoint = await endpoints.GetSendEndpoint(new Uri($"exchange:{new PartnerBrokerNames(organisation.Value).NoticeExchange}"));
                await endpoint.Send(new V1.InvolvementNoLongerShared(id, position, client.Key.Value, involvement.Value, now), context => context.MessageId = id,
                    cancellationToken);
                await using var forget = new NpgsqlCommand($"DELETE FROM {ToldTable} WHERE organisation_id = @organisation AND involvement_id = @involvement", connection);
                forget.Parameters.AddWithValue("organisation", organisation.Value);
                forget.Parameters.AddWithValue("involvement", involvement.Value);
                await forget.ExecuteNonQueryAsync(cancellationToken);
                sent++;
            }
        }
        if (sent > 0) log.LogInformation("Told partner organisations of {Count} involvements no longer shared by the calendar", sent);
        return sent;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = configuration.GetValue("PartnerBus:ExpiryCheckInterval", TimeSpan.FromMinutes(5));
        using var timer = new PeriodicTimer(interval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await CheckOnceAsync(stoppingToken);
            }
            // A database or broker outage must not stop the host: the next tick tries again, and nothing was forgotten unsent.
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogError(e, "The partner expiry check failed; retrying in {Interval}", interval);
            }
        }
    }
}
