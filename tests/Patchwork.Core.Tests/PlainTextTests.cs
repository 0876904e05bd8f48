using Patchwork.Core.Clients;
using Patchwork.Core.Involvements;
using Patchwork.Core.Tests.Access;
using static Patchwork.Core.Tests.Access.Cast;

namespace Patchwork.Core.Tests;

/// <summary>
/// Issue 19: the one plain-text check, as the decisions every channel shares use it — a partner's RegisterClient and
/// RecordInvolvement over the bus go through exactly these (ClientIdentity.Create, Recording.Decide).
/// </summary>
public sealed class PlainTextTests
{
    public static TheoryData<string> ControlCharacters() => ["\u0000", "\u0007", "\u001b", "\u007f", "\u0085", "\t"];

    [Theory]
    [MemberData(nameof(ControlCharacters))]
    public void A_control_character_is_refused_in_one_line_and_in_multi_line_text(string control)
    {
        Text.Plain("a" + control + "b", "name").ShouldNotBeNull().Field.ShouldBe("name");
        Text.Plain("a" + control + "b", "message", multiLine: true).ShouldNotBeNull().Field.ShouldBe("message");
    }

    [Fact]
    public void A_line_break_is_text_only_where_text_is_multi_line()
    {
        Text.Plain("first\r\nsecond\nthird", "message", multiLine: true).ShouldBeNull();
        Text.Plain("first\nsecond", "name").ShouldNotBeNull().Field.ShouldBe("name");
        Text.Plain("Zoë O'Connor-Łukasz", "name").ShouldBeNull("letters of any script are plain text");
    }

    [Theory]
    [MemberData(nameof(ControlCharacters))]
    public void A_client_identity_refuses_control_characters_in_every_name_and_reference(string control)
    {
        var born = new DateOnly(2012, 5, 6);
        ClientIdentity.Create("Ellie" + control, "Marsh", born, null, null, null, Today).Problem.ShouldNotBeNull().Field.ShouldBe("givenNames");
        ClientIdentity.Create("Ellie", "Marsh" + control, born, null, null, null, Today).Problem.ShouldNotBeNull().Field.ShouldBe("familyName");
        ClientIdentity.Create("Ellie", "Marsh", born, null, null, new Dictionary<OrganisationId, string> { [Police.Id] = "CR/12" + control }, Today)
            .Problem.ShouldNotBeNull().Field.ShouldBe("localReferences");
    }

    [Theory]
    [MemberData(nameof(ControlCharacters))]
    public void An_involvement_refuses_control_characters_in_its_role_service_and_contact(string control)
    {
        var team = Story.ClientWithSocialWorkerPoliceAndSexualHealthNurse().ClientState;
        RecordInvolvement Record(string role = "head of year", string? service = null, string phone = "01632 960123") =>
            new(TheClient, InvolvementId.New(), role, service, Category.General, Today, new ContactRoute(phone, null), false);

        Recording.Decide(team, Record(role: "head" + control), Teacher.Acting(), CategoryList.WellKnown, Now).ShouldBeInvalid("role");
        Recording.Decide(team, Record(service: "pastoral" + control), Teacher.Acting(), CategoryList.WellKnown, Now).ShouldBeInvalid("service");
        Recording.Decide(team, Record(phone: "01632" + control), Teacher.Acting(), CategoryList.WellKnown, Now).ShouldBeInvalid("contact");
    }
}
