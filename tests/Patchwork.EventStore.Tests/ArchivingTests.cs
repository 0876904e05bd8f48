using Patchwork.Testing;

namespace Patchwork.EventStore.Tests;

public sealed class ArchivingTests(PostgresSchema schema) : IClassFixture<PostgresSchema>, IAsyncLifetime
{
    private EventStore _store = null!;

    public async Task InitializeAsync() => _store = await TestStores.StartAsync(schema);

    public async Task DisposeAsync() => await _store.DisposeAsync();

    [Fact]
    public async Task An_archived_stream_takes_no_more_events_but_its_history_stays_readable()
    {
        var team = Guid.CreateVersion7();
        var session = _store.OpenSession();
        session.StartStream(team, "team", new TeamFormed(Guid.CreateVersion7()));
        await session.SaveChangesAsync();

        (await _store.ArchiveStreamAsync(team)).ShouldBeTrue();
        session.Append(team, 1, new PractitionerJoined(Guid.CreateVersion7(), "school nurse"));
        var atVersion = await session.SaveChangesAsync();
        session.Append(team, ExpectedVersion.Any, new PractitionerJoined(Guid.CreateVersion7(), "school nurse"));
        var atAnyVersion = await session.SaveChangesAsync();

        atVersion.Rejection.ShouldBe(new AppendRejection.StreamArchived(team));
        atAnyVersion.Rejection.ShouldBe(new AppendRejection.StreamArchived(team));
        (await _store.OpenSession().FetchStreamAsync(team)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task Archiving_a_stream_that_does_not_exist_reports_it()
    {
        (await _store.ArchiveStreamAsync(Guid.CreateVersion7())).ShouldBeFalse();
    }
}
