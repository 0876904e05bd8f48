using System.Reflection;
using Npgsql;
using Patchwork.Core.Access;
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
    public async Task A_reader_that_has_decoded_a_client_reads_only_the_events_appended_since()
    {
        var told = Story.ClientWithSocialWorkerAndPolice().ConsentTo(Police);
        await WithSavedAsync(told, [(TheClient, told.ClientEvents.Take(2).ToList())], async saved =>
        {
            var holding = saved.NewReader();
            (await holding.LoadForWritingAsync(TheClient, default)).Client.Version.ShouldBe(2);
            // A read for display keeps nothing, so this reader goes on reading the row whole.
            var displaying = saved.NewReader();
            (await displaying.LoadAsync(TheClient, default)).Client.ShouldNotBeNull();

            // The row's first event is altered behind the reader's back (no code path does this): a reader that reads the
            // row whole shows the alteration; one that reads only what is new since its version 2 cannot.
            await saved.AsOwnerAsync($$"""UPDATE "{{saved.Schema.Name}}".client_team SET events = jsonb_set(events, '{0,data,role}', '"altered"')""");
            var append = saved.Store.OpenSession();
            append.Append(TheClient.Value, 2, told.ClientEvents.Skip(2).ToList());
            await append.SaveChangesAsync();

            var (held, _) = await holding.LoadForWritingAsync(TheClient, default);
            var (whole, _) = await saved.NewReader().LoadForWritingAsync(TheClient, default);

            held.Version.ShouldBe(told.ClientEvents.Count);
            held.State.Consents.Count.ShouldBe(1, "the consent appended after the reader's version is read");
            held.State.Involvements[SocialWorkersInvolvement].Role.ShouldBe("allocated social worker");
            whole.State.Involvements[SocialWorkersInvolvement].Role.ShouldBe("altered");
            (await displaying.LoadAsync(TheClient, default)).Client!.Involvements[SocialWorkersInvolvement].Role.ShouldBe("altered");
            var (histories, _) = await holding.HistoriesAsync([TheClient], default);
            histories[TheClient].ShouldBe(told.ClientEvents);
        });
    }

    [Fact]
    public async Task A_row_behind_the_version_a_reader_holds_is_read_whole_and_believed()
    {
        var told = Story.ClientWithSocialWorkerAndPolice().ConsentTo(Police);
        await WithSavedAsync(told, [(TheClient, told.ClientEvents)], async saved =>
        {
            var reader = saved.NewReader();
            (await reader.LoadForWritingAsync(TheClient, default)).Client.State.Consents.Count.ShouldBe(1);
            (await reader.HistoriesAsync([TheClient], default)).Events[TheClient].Count.ShouldBe(told.ClientEvents.Count);

            // As while the read model is rebuilt: the row holds only the first two events again.
            await saved.AsOwnerAsync($"""UPDATE "{saved.Schema.Name}".client_team SET events = jsonb_path_query_array(events, '$[0 to 1]'), version = 2""");

            var (client, _) = await reader.LoadForWritingAsync(TheClient, default);
            client.Version.ShouldBe(2);
            client.State.Consents.ShouldBeEmpty();
            client.State.Involvements.Keys.ShouldBe([SocialWorkersInvolvement, PoliceOfficersInvolvement], ignoreOrder: true);
            (await reader.HistoriesAsync([TheClient], default)).Events[TheClient].ShouldBe(told.ClientEvents.Take(2));
        });
    }

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
            var session = started.Store.OpenSession();
            session.StartStream(PartnershipStream, "partnership", told.PartnershipEvents);
            foreach (var (client, events) in clients) session.StartStream(client.Value, "client", events);
            await session.SaveChangesAsync();
            await body(new Saved(schema, started, told.Now));
        }
        finally
        {
            await schema.DisposeAsync();
        }
    }

    [Fact]
    public async Task My_clients_are_found_through_an_index_not_a_scan_of_every_clients_events()
    {
        var told = Story.ClientWithSocialWorkerAndPolice();
        await WithSavedAsync(told, [(TheClient, told.ClientEvents)], async saved =>
        {
            (await saved.NewReader().ClientsOfAsync(SocialWorker.Id, default)).ShouldBe([TheClient]);
            (await saved.NewReader().ClientsOfAsync(Teacher.Id, default)).ShouldBeEmpty();

            // With sequential scans priced out, the planner must still answer the reader's query: only an index on the
            // events can. (On a table this small it would otherwise scan, which proves nothing either way.)
            await using var owner = NpgsqlDataSource.Create(saved.Schema.OwnerConnectionString);
            await using var connection = await owner.OpenConnectionAsync();
            await using (var off = new NpgsqlCommand("SET enable_seqscan = off", connection)) await off.ExecuteNonQueryAsync();
            await using var explain = new NpgsqlCommand(
                $"EXPLAIN SELECT client_id FROM \"{saved.Schema.Name}\".client_team WHERE events @> jsonb_build_array(jsonb_build_object('name', " +
                $"'{EventNames.InvolvementRecorded}', 'data', jsonb_build_object('practitioner', jsonb_build_object('value', '{SocialWorker.Id.Value:D}'))))",
                connection);
            var plan = new List<string>();
            await using (var rows = await explain.ExecuteReaderAsync())
                while (await rows.ReadAsync()) plan.Add(rows.GetString(0));
            string.Join('\n', plan).ShouldContain("client_team_events");
        });
    }

    private sealed record Saved(PostgresSchema Schema, StartedStore Started, DateTimeOffset Now)
    {
        public EventStore.EventStore Store => Started.Store;

        public ClientTeamReader NewReader() => new(Started.Store, Started.Options, new FixedClock(Now), Options);

        public async Task AsOwnerAsync(string sql)
        {
            await using var owner = NpgsqlDataSource.Create(Schema.OwnerConnectionString);
            await using var command = owner.CreateCommand(sql);
            await command.ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public void Every_event_about_a_client_reaches_the_client_team_projection()
    {
        // A thread's events name their client too, but they are appended to the thread's own stream, not the client's.
        var clientEvents = typeof(ClientSharing).Assembly.GetTypes()
            .Where(type => type.GetCustomAttribute<EventNameAttribute>() is not null
                           && type.GetProperties().Any(property => property.Name == "Client" && property.PropertyType == typeof(ClientId))
                           && !type.GetProperties().Any(property => property.PropertyType == typeof(Patchwork.Core.Threads.ThreadId)))
            .Select(type => type.GetCustomAttribute<EventNameAttribute>()!.Name)
            .ToList();

        clientEvents.ShouldNotBeEmpty();
        new ClientTeamProjection(new EventStoreOptions()).EventNames.ShouldBe(clientEvents, ignoreOrder: true);
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
        options.AddInlineProjection(new ClientTeamProjection(options)).AddInlineProjection(new PartnershipProjection(options));
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
