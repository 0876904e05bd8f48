using System.Collections.Immutable;
using Patchwork.Core.Threads;
using Patchwork.Core.Threads.Posting;
using Patchwork.Core.Threads.Starting;
using Patchwork.Core.Threads.Withdrawing;
using static Patchwork.Core.Tests.Access.Cast;

namespace Patchwork.Core.Tests.Threads;

/// <summary>
/// What each thread slice's use case tells the threads' write pipeline, for the API and the pages alike: starting a thread
/// names no thread (the caller must see the client) and appends its first message with it; writing names the thread the
/// caller must be admitted to; withdrawing names the message too, and records that the caller wrote it.
/// </summary>
public sealed class ThreadUseCaseTests
{
    private static readonly Actor By = SocialWorker.Acting();
    private static readonly ThreadId Thread = ThreadId.New();

    [Fact]
    public void Starting_a_thread_names_none_and_appends_its_first_message_with_it()
    {
        var command = new StartThread(Thread, TheClient, MessageId.New(), [PoliceOfficer.Id]);
        var useCase = Starting.UseCase(command, "first words", By);
        var starter = new Participant(SocialWorker.Id, SocialWorker.Agency.Id);
        var started = new ThreadStarted(Thread, TheClient, starter, SocialWorkersInvolvement, [starter], Now);

        useCase.Thread.ShouldBeNull();
        useCase.Body.ShouldBe("first words");
        useCase.Events(started).ShouldBe([started, new MessagePosted(Thread, command.FirstMessage, TheClient, starter, Now)]);
    }

    [Fact]
    public void Writing_names_the_thread_and_withdrawing_the_message_in_it()
    {
        var message = MessageId.New();
        var posting = Posting.UseCase(TheClient, new PostMessage(Thread, message, "a reply"), By);
        var withdrawing = Withdrawing.UseCase(TheClient, Thread, message, By);

        (posting.Thread, posting.Message, posting.Body).ShouldBe((Thread, (MessageId?)null, "a reply"));
        (withdrawing.Thread, withdrawing.Message, withdrawing.Body).ShouldBe((Thread, message, (string?)null));
        var scene = new ThreadScene(null!, null!, null, "Participant;StarterInvolvement:Consent", null, Now, Options);
        var withdrawn = new MessageWithdrawn(Thread, message, TheClient, new Participant(SocialWorker.Id, SocialWorker.Agency.Id), Now);
        withdrawing.Rule(scene, withdrawn).ShouldBe("Participant;StarterInvolvement:Consent;Author");
        posting.Rule(scene, new MessagePosted(Thread, message, TheClient, withdrawn.Author, Now)).ShouldBe("Participant;StarterInvolvement:Consent");
    }

    [Fact]
    public void Each_thread_use_case_has_an_action_of_its_own_and_names_the_client()
    {
        IEnumerable<(string Action, ClientId Client)> cases =
        [
            (Starting.UseCase(new StartThread(Thread, TheClient, MessageId.New(), []), null, By) is var start ? (start.Action, start.Client) : default),
            (Posting.UseCase(TheClient, new PostMessage(Thread, MessageId.New(), ""), By) is var post ? (post.Action, post.Client) : default),
            (Withdrawing.UseCase(TheClient, Thread, MessageId.New(), By) is var withdraw ? (withdraw.Action, withdraw.Client) : default),
        ];

        cases.Select(c => c.Action).ShouldBe(["thread.start", "thread.post", "thread.withdraw"]);
        cases.ShouldAllBe(c => c.Client == TheClient);
    }
}
