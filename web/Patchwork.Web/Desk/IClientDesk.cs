using Patchwork.Core;
using Patchwork.Core.Clients;
using Patchwork.Core.Consents;
using Patchwork.Core.ContactRequests;

namespace Patchwork.Web.Desk;

/// <summary>
/// What a signed-in practitioner does with clients through the pages. The host implements it with the API's own reads and
/// command pipeline, so every page goes through the one access policy and leaves the same audit entries (channel "web").
/// </summary>
public interface IClientDesk
{
    /// <summary>Clients the practitioner has an active involvement with; each one listed is an audited read.</summary>
    Task<IReadOnlyList<MyClient>> MyClientsAsync(CancellationToken cancellationToken);

    /// <summary>That a client exists, and just enough to recognise them; never the team. Audited with its purpose.</summary>
    Task<DeskOutcome<IReadOnlyList<ClientMatch>>> SearchAsync(ClientSearch search, CancellationToken cancellationToken);

    Task<DeskOutcome<ClientId>> RegisterAsync(NewClient client, CancellationToken cancellationToken);

    /// <summary>
    /// The client as the policy lets the practitioner see them, read for the stated purpose (recorded in the read's audit
    /// entry); null when they may see nothing (as if no such client).
    /// </summary>
    Task<ClientRecord?> ClientAsync(ClientId client, string purpose, CancellationToken cancellationToken);

    /// <summary>
    /// The purpose the practitioner stated for reading this client — with the search that led to them, or on the client
    /// page — while it is kept (a few hours); null when there is none.
    /// </summary>
    Task<string?> PurposeAsync(ClientId client, CancellationToken cancellationToken);

    /// <summary>Keeps a purpose for reading this client; refused naming <c>purpose</c> when it is blank or too long.</summary>
    Task<DeskOutcome<string>> StatePurposeAsync(ClientId client, string? purpose, CancellationToken cancellationToken);

    /// <summary>Whom a consent can name and which categories it can cover, from the partnership's current facts.</summary>
    Task<ConsentChoices> ConsentChoicesAsync(CancellationToken cancellationToken);

    Task<DeskOutcome<InvolvementId>> RecordInvolvementAsync(ClientId client, NewInvolvement involvement, CancellationToken cancellationToken);

    Task<DeskOutcome<ConsentId>> RecordConsentAsync(ClientId client, NewConsent consent, CancellationToken cancellationToken);

    Task<DeskOutcome<ConsentId>> WithdrawConsentAsync(ClientId client, ConsentId consent, CancellationToken cancellationToken);

    Task<DeskOutcome<ContactRequestId>> RequestContactAsync(ClientId client, string handle, CancellationToken cancellationToken);

    /// <summary>The masked practitioner's answer: accepted shows them to the requester alone; declined shows nothing.</summary>
    Task<DeskOutcome<ContactRequestId>> AnswerContactAsync(ClientId client, ContactRequestId request, ContactAnswer answer, CancellationToken cancellationToken);
}

/// <summary>Purposes practitioners often state for opening a client, offered as choices; any other is written in.</summary>
public static class ReadPurposes
{
    /// <summary>What "my clients" links carry: a practitioner opening a client they work with.</summary>
    public const string Casework = "casework";

    /// <summary>The choice that reveals a purpose written in words.</summary>
    public const string Other = "other";

    /// <summary>Kept for a client the practitioner has just registered through the pages.</summary>
    public const string Registered = "Registering a new client I work with";

    /// <summary>The most a stated purpose may be, as for a search.</summary>
    public const int MaxLength = 500;

    /// <summary>The common purposes (<see cref="CommonPurposes"/>), as choices.</summary>
    public static IReadOnlyList<Choice> Common { get; } = [.. CommonPurposes.All.Select(p => new Choice(p.Code, p.Label))];

    /// <summary>The words of a common purpose named by its value; null for anything else.</summary>
    public static string? Named(string? value) => Common.FirstOrDefault(c => c.Value == value)?.Label;

    /// <summary>
    /// The purpose a task page reads the client for: the one the practitioner stated, or else the task they are doing
    /// (choosing a task is stating why), so no read goes unexplained.
    /// </summary>
    public static async Task<ClientRecord?> ClientForTaskAsync(this IClientDesk desk, ClientId client, string task, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(desk);
        return await desk.ClientAsync(client, await desk.PurposeAsync(client, cancellationToken) ?? task, cancellationToken);
    }
}

public sealed record MyClient(ClientId Client, string Name, DateOnly DateOfBirth, string MyRole);

public sealed record ClientMatch(ClientId Client, string GivenName, string FamilyName, int YearOfBirth, string? PostcodeDistrict);

/// <summary>One search route (NHS number; family name with date of birth; postcode) and the purpose the practitioner states.</summary>
public sealed record ClientSearch(string? Purpose, string? NhsNumber, string? FamilyName, DateOnly? DateOfBirth, string? Postcode);

public sealed record NewClient(string? GivenNames, string? FamilyName, DateOnly? DateOfBirth, string? NhsNumber, string? Postcode, bool CandidatesSeen);

public sealed record ClientRecord(
    ClientId Client, string Name, DateOnly? DateOfBirth, string? NhsNumber, string? Postcode,
    IReadOnlyList<TeamMember> Team, IReadOnlyList<string> MaskedHandles, IReadOnlyList<ConsentSummary> Consents)
{
    public TeamMember? Mine => Team.FirstOrDefault(member => member.IsMine && member.End is null);

    /// <summary>The purpose this read was made for, shown on the page and recorded in its audit entry.</summary>
    public string Purpose { get; init; } = "";

    /// <summary>When the practitioner's own emergency access (break-glass) to this client ends, while it lasts.</summary>
    public DateTimeOffset? BreakGlassUntil { get; init; }

    /// <summary>Whether to offer "who viewed this client"; the access log's own read decides who may read it.</summary>
    public bool OffersWhoViewed { get; init; }

    /// <summary>Requests to share without consent, newest first, shown to the team as consents are.</summary>
    public IReadOnlyList<SharingBasisSummary> SharingWithoutConsent { get; init; } = [];

    /// <summary>Unanswered requests to contact the practitioner about this client, shown to them alone.</summary>
    public IReadOnlyList<ContactRequestToMe> ContactRequestsToMe { get; init; } = [];

    /// <summary>The practitioner's own requests to reach masked team members, oldest first, with how each stands.</summary>
    public IReadOnlyList<MyContactRequest> MyContactRequests { get; init; } = [];

    /// <summary>What happened, newest first, made only of what this page already lets the practitioner see.</summary>
    public IReadOnlyList<HistoryEntry> History { get; init; } = [];
}

/// <summary>One line of a client's history: when, and what happened in words.</summary>
public sealed record HistoryEntry(DateOnly On, string What);

/// <summary>Who asks to be contacted: the requester's name, job title and organisation, and when they asked.</summary>
public sealed record ContactRequestToMe(ContactRequestId Id, string From, string? JobTitle, string Organisation, DateTimeOffset RequestedAt);

/// <summary>A request the practitioner made; <paramref name="Answer"/> is null while it waits.</summary>
public sealed record MyContactRequest(DateTimeOffset RequestedAt, ContactAnswer? Answer);

public sealed record TeamMember(
    InvolvementId Id, string? PractitionerName, string? JobTitle, string Organisation, string Role, string? Service, string Category,
    DateOnly Start, DateOnly? End, string? Phone, string? Email, bool IsMine);

public sealed record ConsentSummary(ConsentId Id, string SharesWith, string Categories, string GivenBy, string Evidence, DateTimeOffset GivenAt,
    DateTimeOffset? ExpiresAt, bool InForce);

public sealed record NewInvolvement(string? Role, string? Service, string? Category, DateOnly? Start, string? Phone, string? Email);

/// <summary>A consent as the form gives it: <paramref name="ShareWith"/> is "sector:Police" or "organisation:{id}".</summary>
public sealed record NewConsent(string? ShareWith, IReadOnlyList<string> Categories, ConsentGiver? GivenBy, EvidenceKind? Evidence, string? EvidenceReference);

public sealed record Choice(string Value, string Label, string? Hint = null);

public sealed record ConsentChoices(IReadOnlyList<Choice> ShareWith, IReadOnlyList<Choice> Categories);

/// <summary>A page action's outcome: a value, or a refusal naming the form field it concerns (or none).</summary>
public sealed record DeskOutcome<T>(T? Value, DeskRefusal? Refusal)
{
    public bool Succeeded => Refusal is null;

    public static DeskOutcome<T> Done(T value) => new(value, null);

    public static DeskOutcome<T> Refused(DeskRefusal refusal) => new(default, refusal);
}

public sealed record DeskRefusal(string? Field, string Message, bool NotFound = false)
{
    /// <summary>
    /// A registration looks like someone already registered. Who is not said (DESIGN.md §3 rule 12): the practitioner
    /// searches for them, stating a purpose, before registering someone new.
    /// </summary>
    public bool LikelyMatch { get; init; }
}
