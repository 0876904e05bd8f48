using System.Reflection;
using Npgsql;
using Patchwork.Core.Access;
using Patchwork.Core.Agreements;
using Patchwork.Core.Clients;
using Patchwork.Core.Tests.Access;
using Patchwork.EventStore;
using Patchwork.Testing;
using static Patchwork.Core.Tests.Access.Cast;

namespace Patchwork.Core.Tests.GettingClientTeam;

/// <summary>
/// The team read through the inline projections must be exactly what the pure policy decides over the same
/// history, for every viewer: the read model may make the read fast, never different.
/// </summary>
public sealed class ClientTeamReaderTests
{
    private static readonly PolicyOptions Options = new(MaskingKey.Generate());
    private static readonly Guid PartnershipStream = Named.Guid("the partnership");

    public static TheoryData<string> Stories => [.. NamedStories.Keys];

    private static readonly Dictionary<string, Func<Story>> NamedStories = new()
    {
        ["social worker and police, no consent"] = () => Story.ClientWithSocialWorkerAndPolice(),
        ["consent to the police"] = () => Story.ClientWithSocialWorkerAndPolice().ConsentTo(Police),
        ["consent to the police, withdrawn"] = () => Story.ClientWithSocialWorkerAndPolice().ConsentTo(Police).Withdrawn(),
        ["sector consent, sexual health nurse"] = () => Story.ClientWithSocialWorkerPoliceAndSexualHealthNurse().ConsentTo(Sector.Police),
        ["sharing without consent over an objection"] = () => Story.ClientWithSocialWorkerPoliceAndSexualHealthNurse().ObjectionTo(Police).SharingWithoutConsentApproved(),
        ["agreement ended"] = () => Story.ClientWithSocialWorkerAndPolice().ConsentTo(Police).AgreementEnded(),
        ["undisclosed refuge worker and break-glass"] = () => Story.ClientWithSocialWorkerAndPolice().WithRefugeWorkerUndisclosed().BreakGlass(Teacher),
        ["ended 91 days ago"] = () => Story.ClientWithSocialWorkerAndPolice().ConsentTo(Police).Ended(SocialWorkersInvolvement, 91),
    };

    [Theory]
    [MemberData(nameof(Stories))]
    public async Task The_read_model_shows_every_viewer_exactly_what_the_policy_decides(string story)
    {
        var told = NamedStories[story]();
        await WithSavedAsync(told, [(TheClient, told.ClientEvents)], async saved =>
        {
            var reader = saved.NewReader();

            foreach (var viewer in Viewers)
            {
                var read = await reader.TeamAsync(TheClient, viewer, default);
                var decided = AccessPolicy.TeamOf(told.ClientState, told.PartnershipState, viewer, told.Now, Options);

                read.ShouldNotBeNull();
                read.Visible.Select(v => (v.Involvement, v.Rule)).ShouldBe(decided.Visible.Select(v => (v.Involvement, v.Rule)), $"{viewer} in '{story}'");
                read.Masked.ShouldBe(decided.Masked, $"{viewer} in '{story}'");
            }
            (await reader.TeamAsync(ClientId.New(), SocialWorker.AsViewer, default)).ShouldBeNull();
        });
    }

    [Fact]
    public async Task Histories_for_several_clients_in_one_read_are_each_clients_own_events_in_order_beside_the_partnership()
    {
        var told = Story.ClientWithSocialWorkerAndPolice().ConsentTo(Police);
        var other = ClientId.New();
        var othersOnly = told.ClientEvents.OfType<Patchwork.Core.Involvements.InvolvementRecorded>().First() with
        {
            Client = other, Involvement = InvolvementId.New(),
        };
        await WithSavedAsync(told, [(TheClient, told.ClientEvents), (other, [othersOnly])], async saved =>
        {
            var reader = saved.NewReader();
            var nobody = ClientId.New();

            var (histories, partnership) = await reader.HistoriesAsync([TheClient, other, nobody], default);

            histories.Keys.ShouldBe([TheClient, other], ignoreOrder: true);
            histories[TheClient].ShouldBe(told.ClientEvents);
            histories[other].ShouldBe([othersOnly]);
            // The partnership read beside them is the real one: under it (and not under an empty one) the officer, with the
            // client's consent, sees the social worker.
            var seen = AccessPolicy.TeamOf(ClientSharing.From(TheClient, histories[TheClient]), partnership, PoliceOfficer.AsViewer, told.Now, Options);
            seen.Visible.Select(v => v.Involvement.Id).ShouldContain(SocialWorkersInvolvement);
            var (_, alone) = await reader.HistoriesAsync([nobody], default);
            AccessPolicy.TeamOf(told.ClientState, alone, PoliceOfficer.AsViewer, told.Now, Options).Visible.Select(v => v.Involvement.Id)
                .ShouldContain(SocialWorkersInvolvement, "the partnership arrives even when no client named has events");
        });
    }

    [Fact]
    public async Task The_state_is_the_fold_of_the_clients_stream_and_a_schema_without_it_rebuilds_it_from_the_log()
    {
        var told = Story.ClientWithSocialWorkerAndPolice().ConsentTo(Police);
        await WithSavedAsync(told, [(TheClient, told.ClientEvents)], async saved =>
        {
            var folded = ClientSharing.From(TheClient, told.ClientEvents);
            var (projected, version) = await FetchForWritingAsync(saved);
            version.ShouldBe(told.ClientEvents.Count);
            Json(projected.ShouldNotBeNull()).ShouldBe(Json(folded), "the projection's state is exactly the fold of the stream");
            (await ClientReadModels.RebuildClientStateIfMissingAsync(saved.Store, default)).ShouldBeFalse("the state is there: nothing to rebuild");

            // As a schema made before the state was a projection: the log holds the client's events, the state is empty.
            await saved.AsOwnerAsync($"""DELETE FROM "{saved.Schema.Name}".mt_doc_client_state""");
            (await saved.NewReader().LoadAsync(TheClient, default)).Client.ShouldBeNull("the positive control: without its state the client is not found");

            (await ClientReadModels.RebuildClientStateIfMissingAsync(saved.Store, default)).ShouldBeTrue();
            var (rebuilt, rebuiltVersion) = await FetchForWritingAsync(saved);
            rebuiltVersion.ShouldBe(told.ClientEvents.Count);
            Json(rebuilt.ShouldNotBeNull()).ShouldBe(Json(folded));
            (await saved.NewReader().ClientsOfAsync(SocialWorker.Id, default)).ShouldBe([TheClient]);
        });
    }

    [Fact]
    public async Task The_partnership_is_the_fold_of_its_events_and_a_schema_without_it_rebuilds_it_from_the_log()
    {
        var told = Story.ClientWithSocialWorkerAndPolice().ConsentTo(Police);
        await WithSavedAsync(told, [(TheClient, told.ClientEvents)], async saved =>
        {
            var folded = Partnership.From(told.PartnershipEvents);
            folded.Organisations.Count.ShouldBeGreaterThan(1, "the story's partnership has members to lose");
            Json(await saved.NewReader().PartnershipAsync(default)).ShouldBe(Json(folded), "the document is exactly the fold of the partnership's events");
            (await PartnershipReadModel.RebuildPartnershipIfMissingAsync(saved.Store, default)).ShouldBeFalse("the document is there: nothing to rebuild");

            // As a schema made when the partnership table held copies of the events: the log has them, the document is gone.
            await saved.AsOwnerAsync($"""DELETE FROM "{saved.Schema.Name}".mt_doc_partnership_state""");
            Json(await saved.NewReader().PartnershipAsync(default)).ShouldBe(Json(Partnership.Empty), "the positive control: no document, no partnership");
            AccessPolicy.TeamOf(told.ClientState, Partnership.Empty, PoliceOfficer.AsViewer, told.Now, Options).Visible.Select(v => v.Involvement.Id)
                .ShouldNotContain(SocialWorkersInvolvement, "without the partnership the officer sees nobody else");

            (await PartnershipReadModel.RebuildPartnershipIfMissingAsync(saved.Store, default)).ShouldBeTrue();
            Json(await saved.NewReader().PartnershipAsync(default)).ShouldBe(Json(folded));
            (await saved.NewReader().TeamAsync(TheClient, PoliceOfficer.AsViewer, default))!.Visible.Select(v => v.Involvement.Id)
                .ShouldContain(SocialWorkersInvolvement, "the rebuilt partnership joins them again");
        });
    }

    [Fact]
    public async Task Organisations_registered_at_the_same_moment_from_many_sessions_are_all_in_the_partnership()
    {
        // One document folds events from many streams: without serialising those appends, two transactions would each
        // load it before the other wrote it and one registration would be lost.
        var told = Story.ClientWithSocialWorkerAndPolice();
        await WithSavedAsync(told, [], async saved =>
        {
            var before = Partnership.From(told.PartnershipEvents).Organisations.Count;
            var registered = Enumerable.Range(0, 24).Select(i => new Patchwork.Core.Organisations.OrganisationRegistered(
                OrganisationId.New(), $"Agency {i}", Sector.Health, null, null, new ActedBy(ChildrensSocialCare.Id, null, null), told.Now)).ToList();
            using var start = new Barrier(registered.Count);
            // As the product writes partnership events (agreements, the demo): Marten's session in a write transaction.
            var saves = await Task.WhenAll(registered.Select(e => Task.Run(async () =>
            {
                // Together, then each its own connection: 24 held open at a barrier could exhaust a small pool.
                start.SignalAndWait();
                await using var write = await saved.Store.OpenWriteTransactionAsync(EventMetadata.None);
                write.Session.Events.StartStream(e.Organisation.Value, e);
                return await write.CommitAsync(default);
            })));

            saves.ShouldAllBe(committed => committed);
            var partnership = await saved.NewReader().PartnershipAsync(default);
            registered.Select(e => e.Organisation).ShouldBeSubsetOf(partnership.Organisations.Keys);
            partnership.Organisations.Count.ShouldBe(before + registered.Count);
            (await saved.ScalarAsync<long>($"""SELECT (data->>'eventsFolded')::bigint FROM "{saved.Schema.Name}".mt_doc_partnership_state"""))
                .ShouldBe(told.PartnershipEvents.Count + registered.Count, "every event folded once");
        });
    }

    [Fact]
    public async Task A_partnership_use_case_decides_on_the_partnership_as_the_write_holding_its_lock_leaves_it()
    {
        // The pipeline takes the partnership's lock before it reads: an agreement another administrator is making is
        // committed, and seen, before this one decides. Read first, it would decide on a partnership without the agreement.
        var told = Story.ClientWithSocialWorkerAndPolice();
        await WithSavedAsync(told, [], async saved =>
        {
            var agreement = AgreementId.New();
            var admin = new Actor.Practitioner(PractitionerId.New(), ChildrensSocialCare.Id, Roles.PartnershipAdmin);
            var pipeline = new PartnershipCommandPipeline(saved.Store, saved.NewReader(), new FixedClock(saved.Now));
            await using var making = await saved.Store.OpenWriteTransactionAsync(EventMetadata.None);
            await making.LockKindOfAsync(typeof(AgreementMade), default);
            making.Session.Events.StartStream(agreement.Value, new AgreementMade(agreement, "Made at the same moment",
                [ChildrensSocialCare.Id, Police.Id], CategoryScope.GeneralOnly, Today, null, ActedBy.From(admin), saved.Now));

            var ending = pipeline.HandleAsync(Patchwork.Core.Agreements.Ending.UseCase(new EndAgreement(agreement), admin), EventMetadata.None, _ => [], default);
            await Eventually.Within(TimeSpan.FromSeconds(30), () => saved.ScalarAsync<long>("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"),
                waiting => waiting > 0, "the pipeline waiting for the partnership's lock");
            ending.IsCompleted.ShouldBeFalse();
            (await making.CommitAsync(default)).ShouldBeTrue();

            var outcome = await ending;
            outcome.ShouldBeOfType<PartnershipActOutcome<AgreementEnded>.Done>().Partnership.Agreements.Keys.ShouldContain(agreement);
            (await saved.NewReader().PartnershipAsync(default)).Agreements[agreement].EndedAt.ShouldBe(saved.Now);
        });
    }

    private static string Json(Partnership state) =>
        System.Text.Json.JsonSerializer.Serialize(state, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web) { Converters = { new PartnershipJsonConverter() } });

    private static string Json(ClientSharing state) => System.Text.Json.JsonSerializer.Serialize(state, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web));

    /// <summary>
    /// A schema of its own holding the story's partnership and each named client's events, saved in one session; the body
    /// gets the store and readers at the story's time; the schema is dropped afterwards whatever the body did.
    /// </summary>
    private static async Task WithSavedAsync(Story told, IEnumerable<(ClientId Client, IReadOnlyList<object> Events)> clients, Func<Saved, Task> body)
    {
        var schema = new PostgresSchema();
        await schema.InitializeAsync();
        try
        {
            await using var started = await StartStoreAsync(schema);
            await using (var write = await started.Store.OpenWriteTransactionAsync(EventMetadata.None))
            {
                write.Session.Events.StartStream(PartnershipStream, told.PartnershipEvents);
                foreach (var (client, events) in clients) write.Session.Events.StartStream(client.Value, events);
                (await write.CommitAsync(CancellationToken.None)).ShouldBeTrue();
            }
            await body(new Saved(schema, started, told.Now));
        }
        finally
        {
            await schema.DisposeAsync();
        }
    }

    [Fact]
    public async Task My_clients_are_found_through_an_index_not_a_scan_of_every_clients_state()
    {
        var told = Story.ClientWithSocialWorkerAndPolice();
        await WithSavedAsync(told, [(TheClient, told.ClientEvents)], async saved =>
        {
            (await saved.NewReader().ClientsOfAsync(SocialWorker.Id, default)).ShouldBe([TheClient]);
            (await saved.NewReader().ClientsOfAsync(Teacher.Id, default)).ShouldBeEmpty();

            // With sequential scans priced out, the planner must still answer the reader's query: only an index on the
            // state can. (On a table this small it would otherwise scan, which proves nothing either way.)
            await using var owner = NpgsqlDataSource.Create(saved.Schema.OwnerConnectionString);
            await using var connection = await owner.OpenConnectionAsync();
            await using (var off = new NpgsqlCommand("SET enable_seqscan = off", connection)) await off.ExecuteNonQueryAsync();
            await using var explain = new NpgsqlCommand(
                $"EXPLAIN SELECT id FROM \"{saved.Schema.Name}\".mt_doc_client_state WHERE data @> jsonb_build_object('practitioners', jsonb_build_array('{SocialWorker.Id.Value:D}'))",
                connection);
            var plan = new List<string>();
            await using (var rows = await explain.ExecuteReaderAsync())
                while (await rows.ReadAsync()) plan.Add(rows.GetString(0));
            string.Join('\n', plan).ShouldContain("mt_doc_client_state_idx_data");
        });
    }

    /// <summary>The client's stream as a command fetches it for writing (Marten's FetchForWriting): its state and version.</summary>
    private static async Task<(ClientSharing? State, long Version)> FetchForWritingAsync(Saved saved)
    {
        await using var session = saved.Store.OpenWriteSession(EventMetadata.None);
        var (stream, _) = await saved.NewReader().FetchForWritingAsync(session, TheClient, default);
        return (stream.Aggregate?.Sharing, stream.CurrentVersion ?? 0);
    }

    private sealed record Saved(PostgresSchema Schema, StartedStore Started, DateTimeOffset Now)
    {
        public EventStore.EventStore Store => Started.Store;

        public ClientTeamReader NewReader() => new(Started.Store, Started.Options, new FixedClock(Now), Options);

        public async Task<T> ScalarAsync<T>(string sql)
        {
            await using var command = Store.DataSource.CreateCommand(sql);
            return (T)(await command.ExecuteScalarAsync())!;
        }

        public async Task AsOwnerAsync(string sql)
        {
            await using var owner = NpgsqlDataSource.Create(Schema.OwnerConnectionString);
            await using var command = owner.CreateCommand(sql);
            await command.ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public void Every_event_about_a_client_reaches_the_client_state_projection()
    {
        // A thread's events name their client too, but they are appended to the thread's own stream, not the client's.
        var clientEvents = typeof(ClientSharing).Assembly.GetTypes()
            .Where(type => type.GetCustomAttribute<EventNameAttribute>() is not null
                           && type.GetProperties().Any(property => property.Name == "Client" && property.PropertyType == typeof(ClientId))
                           && !type.GetProperties().Any(property => property.PropertyType == typeof(Patchwork.Core.Threads.ThreadId)))
            .Select(type => type.GetCustomAttribute<EventNameAttribute>()!.Name)
            .ToList();

        clientEvents.ShouldNotBeEmpty();
        ClientStateProjection.EventNames.ShouldBe(clientEvents, ignoreOrder: true);
    }

    private static IEnumerable<Viewer> Viewers =>
        new[] { SocialWorker, SocialWorkersManager, PoliceOfficer, PoliceColleague, TransportPoliceOfficer, SexualHealthNurse, Teacher, RefugeWorker }
            .Select(member => member.AsViewer)
            .Concat(Agencies.Select(agency => agency.PartnerSystem));

    internal static async Task<StartedStore> StartStoreAsync(PostgresSchema schema)
    {
        var options = new EventStoreOptions
        {
            Schema = schema.Name,
            ConnectionString = schema.AppConnectionString,
            MigrationConnectionString = schema.OwnerConnectionString,
        };
        options.Events.RegisterFrom(typeof(ClientSharing).Assembly);
        options.AddClientState().AddPartnershipState();
        await EventStoreMigrations.ApplyAsync(options);
        await using (var owner = NpgsqlDataSource.Create(schema.OwnerConnectionString))
            await CoreSchema.MigrateAsync(owner, schema.Name, default);
        return new StartedStore(EventStore.EventStore.Create(options), options);
    }

    internal sealed record StartedStore(EventStore.EventStore Store, EventStoreOptions Options) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Store.DisposeAsync();
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now.ToUniversalTime();
    }
}

public sealed class CalendarTests
{
    [Fact]
    public void Half_past_midnight_in_a_British_summer_is_already_the_next_day_whatever_offset_the_clock_gives()
    {
        var instant = new DateTimeOffset(2026, 6, 30, 23, 30, 0, TimeSpan.Zero);

        Calendar.Today(instant).ShouldBe(new DateOnly(2026, 7, 1));
        Calendar.Today(instant.ToOffset(TimeSpan.FromHours(-5))).ShouldBe(new DateOnly(2026, 7, 1));
        Calendar.Today(new DateTimeOffset(2026, 12, 31, 23, 30, 0, TimeSpan.Zero)).ShouldBe(new DateOnly(2026, 12, 31));
    }
}
