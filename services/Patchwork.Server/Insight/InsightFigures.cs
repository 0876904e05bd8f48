using Marten;
using Npgsql;
using Patchwork.Core.Clients;
using Patchwork.Core.Insight;
using Patchwork.EventStore;

namespace Patchwork.Server.Insight;

/// <summary>What a figure counts, how it is named on the page and in downloads, and where it comes from.</summary>
public sealed record MeasureDefinition(string Key, string Label, Func<InsightMonth, int>? FromLog = null, Func<AccessMonth, int>? FromAudit = null);

/// <summary>One organisation's access figures for one month, read from the audit trail on demand.</summary>
public sealed record AccessMonth(Guid Organisation, int Month, int Searches, int Refusals, int WhoViewedReads, int BreakGlass,
    int SearchesCasework = 0, int SearchesReferral = 0, int SearchesSafeguarding = 0, int SearchesMeeting = 0, int BreakGlassReviewed = 0)
{
    /// <summary>Searches whose purpose is none of the common ones (written in words, or an API caller's own).</summary>
    public int SearchesOther => Searches - SearchesCasework - SearchesReferral - SearchesSafeguarding - SearchesMeeting;

    public AccessMonth Plus(AccessMonth other) => this with
    {
        Searches = Searches + other.Searches, Refusals = Refusals + other.Refusals, WhoViewedReads = WhoViewedReads + other.WhoViewedReads,
        BreakGlass = BreakGlass + other.BreakGlass, SearchesCasework = SearchesCasework + other.SearchesCasework,
        SearchesReferral = SearchesReferral + other.SearchesReferral, SearchesSafeguarding = SearchesSafeguarding + other.SearchesSafeguarding,
        SearchesMeeting = SearchesMeeting + other.SearchesMeeting,
        BreakGlassReviewed = BreakGlassReviewed + other.BreakGlassReviewed,
    };
}

/// <summary>The figures' one reader: projected months from Marten, access figures from the audit trail by a grouped query.</summary>
public sealed class InsightFigures(EventStore.EventStore store)
{
    public static readonly IReadOnlyList<MeasureDefinition> Activity =
    [
        new("multiAgencyClients", "Clients whose team reached two or more organisations", m => m.MultiAgencyClients),
        new("involvementsRecordedWeb", "Involvements recorded on the website", m => m.InvolvementsRecordedWeb),
        new("involvementsRecordedApi", "Involvements recorded through the API", m => m.InvolvementsRecordedApi),
        new("involvementsRecordedBus", "Involvements recorded by partner systems over the bus", m => m.InvolvementsRecordedBus),
        new("involvementsEndedWeb", "Involvements ended on the website", m => m.InvolvementsEndedWeb),
        new("involvementsEndedApi", "Involvements ended through the API", m => m.InvolvementsEndedApi),
        new("involvementsEndedBus", "Involvements ended by partner systems over the bus", m => m.InvolvementsEndedBus),
        new("consentsRecorded", "Consents recorded", m => m.ConsentsRecorded),
        new("consentsWithdrawn", "Consents withdrawn", m => m.ConsentsWithdrawn),
        new("sharingWithoutConsentRequested", "Requests to share without consent", m => m.SharingWithoutConsentRequested),
        new("sharingWithoutConsentApproved", "Sharing without consent approved", m => m.SharingWithoutConsentApproved),
        new("contactRequestsMade", "Contact requests sent", m => m.ContactRequestsMade),
        new("contactRequestsAnswered", "Contact requests answered", m => m.ContactRequestsAnswered),
        new("breakGlassUses", "Break-glass uses", m => m.BreakGlassUses),
        new("breakGlassReviewed", "Break-glass uses reviewed by a data protection officer", m => m.BreakGlassReviewed),
        new("attentionRaised", "Attention raised", m => m.AttentionRaised),
    ];

    public static readonly IReadOnlyList<MeasureDefinition> Access =
    [
        new("searches", "Client searches", FromAudit: a => a.Searches),
        new("searchesCasework", "Searches for casework with a client", FromAudit: a => a.SearchesCasework),
        new("searchesReferral", "Searches for a new referral or allocation", FromAudit: a => a.SearchesReferral),
        new("searchesSafeguarding", "Searches for a safeguarding concern", FromAudit: a => a.SearchesSafeguarding),
        new("searchesMeeting", "Searches to prepare for a multi-agency meeting", FromAudit: a => a.SearchesMeeting),
        new("searchesOther", "Searches for another purpose", FromAudit: a => a.SearchesOther),
        new("refusals", "Requests the access policy refused", FromAudit: a => a.Refusals),
        new("whoViewedReads", "Who-viewed reads", FromAudit: a => a.WhoViewedReads),
        new("breakGlassUses", "Break-glass uses", FromAudit: a => a.BreakGlass),
        new("breakGlassReviewed", "Break-glass uses reviewed", FromAudit: a => a.BreakGlassReviewed),
    ];

    private readonly string _accessSql = LoadQuery(store.Schema);

    private static string LoadQuery(string schema)
    {
        using var stream = typeof(InsightFigures).Assembly.GetManifestResourceStream("Patchwork.Server.Insight.access_figures.sql")
            ?? throw new InvalidOperationException("access_figures.sql is not embedded");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Replace("{schema}", SchemaScripts.Quote(schema), StringComparison.Ordinal);
    }

    /// <summary>The projected months between two months inclusive, for one organisation (or the partnership's, Guid.Empty) or all.</summary>
    public async Task<IReadOnlyList<InsightMonth>> MonthsAsync(Guid? organisation, int from, int to, CancellationToken cancellationToken)
    {
        await using var query = store.Marten.QuerySession();
        var months = organisation is { } only
            ? query.Query<InsightMonth>().Where(m => m.Organisation == only && m.Month >= from && m.Month <= to)
            : query.Query<InsightMonth>().Where(m => m.Month >= from && m.Month <= to);
        return await months.ToListAsync(cancellationToken);
    }

    /// <summary>The access figures between two months inclusive, by organisation; the partnership's are their sum (Guid.Empty).</summary>
    public async Task<IReadOnlyList<AccessMonth>> AccessAsync(Guid? organisation, int from, int to, CancellationToken cancellationToken)
    {
        static DateTime Start(int month) => new(month / 100, month % 100, 1, 0, 0, 0, DateTimeKind.Utc);
        await using var command = store.DataSource.CreateCommand(_accessSql);
        command.Parameters.AddWithValue("from", Start(from));
        command.Parameters.AddWithValue("to", Start(MonthNumber.Add(to, 1)));
        command.Parameters.Add(new NpgsqlParameter("organisation", NpgsqlTypes.NpgsqlDbType.Uuid) { Value = (object?)organisation ?? DBNull.Value });
        foreach (var purpose in CommonPurposes.All)
            command.Parameters.AddWithValue(purpose.Code, new[] { purpose.Code.ToLowerInvariant(), purpose.Label.ToLowerInvariant() });
        var rows = new List<AccessMonth>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            while (await reader.ReadAsync(cancellationToken))
                rows.Add(new AccessMonth(reader.GetGuid(0), reader.GetInt32(1), (int)reader.GetInt64(2), (int)reader.GetInt64(3), (int)reader.GetInt64(4), (int)reader.GetInt64(5),
                    (int)reader.GetInt64(7), (int)reader.GetInt64(8), (int)reader.GetInt64(9), (int)reader.GetInt64(10), (int)reader.GetInt64(6)));
        if (organisation is null)
            rows.AddRange(rows.GroupBy(r => r.Month).Select(g => g.Aggregate(new AccessMonth(InsightLedger.Partnership, g.Key, 0, 0, 0, 0), (sum, r) => sum.Plus(r))).ToList());
        return rows;
    }
}
