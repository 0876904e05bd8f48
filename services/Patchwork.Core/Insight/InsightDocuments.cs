using Marten;
using Patchwork.EventStore;

namespace Patchwork.Core.Insight;

/// <summary>
/// One organisation's counts for one calendar month (UTC), or the partnership's when <see cref="Organisation"/> is
/// <see cref="Guid.Empty"/>. Ids, a month and numbers only: no name, date of birth, NHS number or free text can enter it
/// (InsightDocumentShapeTests checks the types structurally).
/// </summary>
public sealed class InsightMonth
{
    /// <summary>"{organisation}:{yyyymm}".</summary>
    public string Id { get; set; } = "";

    public Guid Organisation { get; set; }

    /// <summary>Year × 100 + month (202603), so a range of months is a range of numbers.</summary>
    public int Month { get; set; }

    /// <summary>Clients whose team first reached two organisations this month (counted for each organisation then in it).</summary>
    public int MultiAgencyClients { get; set; }

    public int InvolvementsRecordedWeb { get; set; }

    public int InvolvementsRecordedApi { get; set; }

    public int InvolvementsRecordedBus { get; set; }

    public int InvolvementsEndedWeb { get; set; }

    public int InvolvementsEndedApi { get; set; }

    public int InvolvementsEndedBus { get; set; }

    public int ConsentsRecorded { get; set; }

    public int ConsentsWithdrawn { get; set; }

    public int SharingWithoutConsentRequested { get; set; }

    public int SharingWithoutConsentApproved { get; set; }

    /// <summary>Contact requests this organisation's practitioners sent.</summary>
    public int ContactRequestsMade { get; set; }

    /// <summary>Contact requests to this organisation's (sensitive) involvements that were answered this month.</summary>
    public int ContactRequestsAnswered { get; set; }

    public int BreakGlassUses { get; set; }

    /// <summary>Break-glass uses of this organisation's practitioners that its DPO reviewed this month.</summary>
    public int BreakGlassReviewed { get; set; }

    public int AttentionRaised { get; set; }

    /// <summary>
    /// For each client counted in <see cref="MultiAgencyClients"/>: whole days from its first involvement to then, as a
    /// histogram (days → how many clients), so a month's document stays small however many clients it counts.
    /// </summary>
    public Dictionary<int, int> DaysToSecondOrganisationCounts { get; set; } = [];

    /// <summary>For each answer counted in <see cref="ContactRequestsAnswered"/>: whole minutes from the request to the answer (minutes → how many).</summary>
    public Dictionary<int, int> MinutesToContactAnswerCounts { get; set; } = [];

    /// <summary>For each review counted in <see cref="BreakGlassReviewed"/>: whole minutes from the grant to the review (minutes → how many).</summary>
    public Dictionary<int, int> MinutesToBreakGlassReviewCounts { get; set; } = [];

    /// <summary>The days, one per client, as documents folded before the histogram kept them; read with it, never written.</summary>
    public List<int> DaysToSecondOrganisation { get; set; } = [];

    /// <summary>The minutes, one per answer, as documents folded before the histogram kept them; read with it, never written.</summary>
    public List<int> MinutesToContactAnswer { get; set; } = [];

    /// <summary>A measure's values this month: the histogram, with any values an older document kept one by one.</summary>
    public static IEnumerable<KeyValuePair<int, int>> Values(Dictionary<int, int> counts, List<int> older)
    {
        ArgumentNullException.ThrowIfNull(counts);
        ArgumentNullException.ThrowIfNull(older);
        return older.Count == 0 ? counts : counts.Concat(older.Select(v => KeyValuePair.Create(v, 1)));
    }

    public static void Count(Dictionary<int, int> counts, int value, int times = 1)
    {
        ArgumentNullException.ThrowIfNull(counts);
        counts[value] = counts.GetValueOrDefault(value) + times;
    }

    public static string IdFor(Guid organisation, int month) => $"{organisation}:{month}";

    public static int MonthOf(DateTimeOffset at)
    {
        var utc = at.UtcDateTime;
        return utc.Year * 100 + utc.Month;
    }
}

/// <summary>
/// What the insight fold must remember of one client between events: ids and instants only. Not a copy of the client's
/// state: just enough to tell when its team first reached two organisations and how long answers took.
/// </summary>
public sealed class InsightClient
{
    /// <summary>The client's id (its stream's).</summary>
    public Guid Id { get; set; }

    public DateTimeOffset? FirstInvolvementAt { get; set; }

    /// <summary>When the team first had active involvements of two organisations; counted once.</summary>
    public DateTimeOffset? MultiAgencyAt { get; set; }

    /// <summary>Every involvement recorded, with its organisation.</summary>
    public Dictionary<Guid, Guid> InvolvementOrganisations { get; set; } = [];

    /// <summary>The involvements not yet ended.</summary>
    public List<Guid> Active { get; set; } = [];

    /// <summary>Unanswered contact requests and when each was sent.</summary>
    public Dictionary<Guid, DateTimeOffset> OpenContactRequests { get; set; } = [];

    /// <summary>Requests for sharing without consent and the requesting organisation, until approved.</summary>
    public Dictionary<Guid, Guid> OpenSharingRequests { get; set; } = [];

    /// <summary>Break-glass grants not yet reviewed and when each was granted.</summary>
    public Dictionary<Guid, DateTimeOffset> OpenGrants { get; set; } = [];
}

/// <summary>The last event sequence the insight fold has applied, kept in the same transaction as its counts.</summary>
public sealed class InsightProgress
{
    public const string TheId = "insight";

    public string Id { get; set; } = TheId;

    public long Sequence { get; set; }
}

public static class InsightReadModels
{
    /// <summary>
    /// The insight documents, in tables of their own (<c>mt_doc_insight_month</c>, <c>mt_doc_insight_client</c>,
    /// <c>mt_doc_insight_progress</c>), applied by the owner with the rest of Marten's schema.
    /// </summary>
    public static EventStoreOptions AddInsightDocuments(this EventStoreOptions store)
    {
        ArgumentNullException.ThrowIfNull(store);
        store.ConfigureMarten.Add(marten =>
        {
            marten.Schema.For<InsightMonth>().DocumentAlias("insight_month").Index(m => m.Month);
            marten.Schema.For<InsightClient>().DocumentAlias("insight_client");
            marten.Schema.For<InsightProgress>().DocumentAlias("insight_progress");
        });
        return store;
    }
}
