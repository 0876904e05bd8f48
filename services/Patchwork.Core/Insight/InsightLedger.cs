using Patchwork.Core.Attention;
using Patchwork.Core.BreakGlass;
using Patchwork.Core.Consents;
using Patchwork.Core.ContactRequests;
using Patchwork.Core.Involvements;
using Patchwork.Core.SharingWithoutConsent;
using Patchwork.EventStore;

namespace Patchwork.Core.Insight;

/// <summary>The door an event came through.</summary>
public enum EventChannel
{
    Web,
    Api,
    Bus,
}

public static class EventChannels
{
    /// <summary>
    /// The channel a save stamped on its events; for events saved before the stamp existed, a partner system's save with a
    /// causation id (the bus message it answers) is the bus and anything else the API.
    /// </summary>
    public static EventChannel Of(EventMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        return metadata.Channel switch
        {
            "web" => EventChannel.Web,
            "bus" => EventChannel.Bus,
            "api" => EventChannel.Api,
            _ => metadata.ActedBy?.Kind == PrincipalKind.PartnerSystem && metadata.CausationId is not null ? EventChannel.Bus : EventChannel.Api,
        };
    }
}

public enum InsightMeasure
{
    MultiAgencyClients,
    InvolvementsRecordedWeb,
    InvolvementsRecordedApi,
    InvolvementsRecordedBus,
    InvolvementsEndedWeb,
    InvolvementsEndedApi,
    InvolvementsEndedBus,
    ConsentsRecorded,
    ConsentsWithdrawn,
    SharingWithoutConsentRequested,
    SharingWithoutConsentApproved,
    ContactRequestsMade,
    ContactRequestsAnswered,
    BreakGlassUses,
    BreakGlassReviewed,
    AttentionRaised,
    /// <summary>A value (whole days), not a count: one per client counted in <see cref="MultiAgencyClients"/>.</summary>
    DaysToSecondOrganisation,
    /// <summary>A value (whole minutes), not a count: one per answer counted in <see cref="ContactRequestsAnswered"/>.</summary>
    MinutesToContactAnswer,
    /// <summary>A value (whole minutes), not a count: one per review counted in <see cref="BreakGlassReviewed"/>.</summary>
    MinutesToBreakGlassReview,
}

/// <summary>One thing to add to one organisation's month (<see cref="Guid.Empty"/>: the partnership's).</summary>
public readonly record struct Tally(Guid Organisation, int Month, InsightMeasure Measure, int Value = 1);

/// <summary>
/// The insight fold: what one client event adds to the monthly counts, given what the fold remembers of the client. Pure
/// apart from updating <paramref name="client"/>; the projection and the independent check in the tests both call it.
/// The month is the event's own instant (its <c>At</c>), in UTC.
/// </summary>
public static class InsightLedger
{
    public static readonly Guid Partnership = Guid.Empty;

    /// <summary>Every event name the fold reads; other events change no figure.</summary>
    public static IReadOnlySet<string> EventNames { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        Core.EventNames.InvolvementRecorded, Core.EventNames.InvolvementEnded, Core.EventNames.ConsentRecorded, Core.EventNames.ConsentWithdrawn,
        Core.EventNames.SharingWithoutConsentRequested, Core.EventNames.SharingWithoutConsentApproved, Core.EventNames.BreakGlassGranted, Core.EventNames.BreakGlassReviewed,
        Core.EventNames.AttentionRaised, Core.EventNames.ContactRequested, Core.EventNames.ContactRequestAnswered,
    };

    public static IReadOnlyList<Tally> Apply(InsightClient client, object data, EventChannel channel)
    {
        ArgumentNullException.ThrowIfNull(client);
        var tallies = new List<Tally>(4);
        void Both(Guid organisation, DateTimeOffset at, InsightMeasure measure, int value = 1)
        {
            var month = InsightMonth.MonthOf(at);
            tallies.Add(new Tally(organisation, month, measure, value));
            tallies.Add(new Tally(Partnership, month, measure, value));
        }

        switch (data)
        {
            case InvolvementRecorded e when !client.InvolvementOrganisations.ContainsKey(e.Involvement.Value):
                {
                    var organisation = e.By.Organisation.Value;
                    client.FirstInvolvementAt ??= e.At;
                    client.InvolvementOrganisations[e.Involvement.Value] = organisation;
                    client.Active.Add(e.Involvement.Value);
                    Both(organisation, e.At, channel switch
                    {
                        EventChannel.Web => InsightMeasure.InvolvementsRecordedWeb,
                        EventChannel.Bus => InsightMeasure.InvolvementsRecordedBus,
                        _ => InsightMeasure.InvolvementsRecordedApi,
                    });
                    var team = client.Active.Select(i => client.InvolvementOrganisations[i]).Distinct().ToList();
                    if (client.MultiAgencyAt is null && team.Count >= 2)
                    {
                        client.MultiAgencyAt = e.At;
                        var month = InsightMonth.MonthOf(e.At);
                        var days = (int)Math.Floor((e.At - client.FirstInvolvementAt.Value).TotalDays);
                        foreach (var member in team.Append(Partnership))
                        {
                            tallies.Add(new Tally(member, month, InsightMeasure.MultiAgencyClients));
                            tallies.Add(new Tally(member, month, InsightMeasure.DaysToSecondOrganisation, days));
                        }
                    }
                    break;
                }
            case InvolvementEnded e when client.Active.Remove(e.Involvement.Value):
                Both(client.InvolvementOrganisations[e.Involvement.Value], e.At, channel switch
                {
                    EventChannel.Web => InsightMeasure.InvolvementsEndedWeb,
                    EventChannel.Bus => InsightMeasure.InvolvementsEndedBus,
                    _ => InsightMeasure.InvolvementsEndedApi,
                });
                break;
            case ConsentRecorded e:
                Both(e.By.Organisation.Value, e.At, InsightMeasure.ConsentsRecorded);
                break;
            case ConsentWithdrawn e:
                Both(e.By.Organisation.Value, e.At, InsightMeasure.ConsentsWithdrawn);
                break;
            case SharingWithoutConsentRequested e:
                client.OpenSharingRequests[e.Basis.Value] = e.By.Organisation.Value;
                Both(e.By.Organisation.Value, e.At, InsightMeasure.SharingWithoutConsentRequested);
                break;
            case SharingWithoutConsentApproved e when client.OpenSharingRequests.Remove(e.Basis.Value, out var requester):
                Both(requester, e.At, InsightMeasure.SharingWithoutConsentApproved);
                break;
            case BreakGlassGranted e:
                client.OpenGrants[e.Grant.Value] = e.At;
                Both(e.Organisation.Value, e.At, InsightMeasure.BreakGlassUses);
                break;
            case BreakGlassReviewed e when client.OpenGrants.Remove(e.Grant.Value, out var granted):
                // The reviewer is a DPO of the organisation whose practitioner broke glass: the review counts there.
                Both(e.Organisation.Value, e.At, InsightMeasure.BreakGlassReviewed);
                Both(e.Organisation.Value, e.At, InsightMeasure.MinutesToBreakGlassReview, (int)Math.Floor((e.At - granted).TotalMinutes));
                break;
            case AttentionRaised e:
                Both(e.Organisation.Value, e.At, InsightMeasure.AttentionRaised);
                break;
            case ContactRequested e:
                client.OpenContactRequests[e.Request.Value] = e.At;
                Both(e.RequesterOrganisation.Value, e.At, InsightMeasure.ContactRequestsMade);
                break;
            case ContactRequestAnswered e when client.OpenContactRequests.Remove(e.Request.Value, out var asked)
                                              && client.InvolvementOrganisations.TryGetValue(e.Involvement.Value, out var answerer):
                Both(answerer, e.At, InsightMeasure.ContactRequestsAnswered);
                Both(answerer, e.At, InsightMeasure.MinutesToContactAnswer, (int)Math.Floor((e.At - asked).TotalMinutes));
                break;
        }
        return tallies;
    }

    /// <summary>Adds a tally to its month's document.</summary>
    public static void Add(InsightMonth month, Tally tally)
    {
        ArgumentNullException.ThrowIfNull(month);
        switch (tally.Measure)
        {
            case InsightMeasure.MultiAgencyClients: month.MultiAgencyClients += tally.Value; break;
            case InsightMeasure.InvolvementsRecordedWeb: month.InvolvementsRecordedWeb += tally.Value; break;
            case InsightMeasure.InvolvementsRecordedApi: month.InvolvementsRecordedApi += tally.Value; break;
            case InsightMeasure.InvolvementsRecordedBus: month.InvolvementsRecordedBus += tally.Value; break;
            case InsightMeasure.InvolvementsEndedWeb: month.InvolvementsEndedWeb += tally.Value; break;
            case InsightMeasure.InvolvementsEndedApi: month.InvolvementsEndedApi += tally.Value; break;
            case InsightMeasure.InvolvementsEndedBus: month.InvolvementsEndedBus += tally.Value; break;
            case InsightMeasure.ConsentsRecorded: month.ConsentsRecorded += tally.Value; break;
            case InsightMeasure.ConsentsWithdrawn: month.ConsentsWithdrawn += tally.Value; break;
            case InsightMeasure.SharingWithoutConsentRequested: month.SharingWithoutConsentRequested += tally.Value; break;
            case InsightMeasure.SharingWithoutConsentApproved: month.SharingWithoutConsentApproved += tally.Value; break;
            case InsightMeasure.ContactRequestsMade: month.ContactRequestsMade += tally.Value; break;
            case InsightMeasure.ContactRequestsAnswered: month.ContactRequestsAnswered += tally.Value; break;
            case InsightMeasure.BreakGlassUses: month.BreakGlassUses += tally.Value; break;
            case InsightMeasure.BreakGlassReviewed: month.BreakGlassReviewed += tally.Value; break;
            case InsightMeasure.AttentionRaised: month.AttentionRaised += tally.Value; break;
            case InsightMeasure.DaysToSecondOrganisation: InsightMonth.Count(month.DaysToSecondOrganisationCounts, tally.Value); break;
            case InsightMeasure.MinutesToContactAnswer: InsightMonth.Count(month.MinutesToContactAnswerCounts, tally.Value); break;
            case InsightMeasure.MinutesToBreakGlassReview: InsightMonth.Count(month.MinutesToBreakGlassReviewCounts, tally.Value); break;
            default: throw new ArgumentOutOfRangeException(nameof(tally), tally.Measure, "an unknown measure");
        }
    }

    /// <summary>The count a month holds for a measure (the number of values, for the two value measures).</summary>
    public static int CountOf(InsightMonth month, InsightMeasure measure)
    {
        ArgumentNullException.ThrowIfNull(month);
        return measure switch
        {
            InsightMeasure.MultiAgencyClients => month.MultiAgencyClients,
            InsightMeasure.InvolvementsRecordedWeb => month.InvolvementsRecordedWeb,
            InsightMeasure.InvolvementsRecordedApi => month.InvolvementsRecordedApi,
            InsightMeasure.InvolvementsRecordedBus => month.InvolvementsRecordedBus,
            InsightMeasure.InvolvementsEndedWeb => month.InvolvementsEndedWeb,
            InsightMeasure.InvolvementsEndedApi => month.InvolvementsEndedApi,
            InsightMeasure.InvolvementsEndedBus => month.InvolvementsEndedBus,
            InsightMeasure.ConsentsRecorded => month.ConsentsRecorded,
            InsightMeasure.ConsentsWithdrawn => month.ConsentsWithdrawn,
            InsightMeasure.SharingWithoutConsentRequested => month.SharingWithoutConsentRequested,
            InsightMeasure.SharingWithoutConsentApproved => month.SharingWithoutConsentApproved,
            InsightMeasure.ContactRequestsMade => month.ContactRequestsMade,
            InsightMeasure.ContactRequestsAnswered => month.ContactRequestsAnswered,
            InsightMeasure.BreakGlassUses => month.BreakGlassUses,
            InsightMeasure.BreakGlassReviewed => month.BreakGlassReviewed,
            InsightMeasure.AttentionRaised => month.AttentionRaised,
            InsightMeasure.DaysToSecondOrganisation => month.DaysToSecondOrganisationCounts.Values.Sum() + month.DaysToSecondOrganisation.Count,
            InsightMeasure.MinutesToContactAnswer => month.MinutesToContactAnswerCounts.Values.Sum() + month.MinutesToContactAnswer.Count,
            InsightMeasure.MinutesToBreakGlassReview => month.MinutesToBreakGlassReviewCounts.Values.Sum(),
            _ => throw new ArgumentOutOfRangeException(nameof(measure), measure, "an unknown measure"),
        };
    }

    /// <summary>Folds a whole history (in log order) into month documents: what a rebuild computes, and what the tests compare.</summary>
    public static Dictionary<string, InsightMonth> Fold(IEnumerable<(Guid Client, object Data, EventChannel Channel)> history)
    {
        ArgumentNullException.ThrowIfNull(history);
        var clients = new Dictionary<Guid, InsightClient>();
        var months = new Dictionary<string, InsightMonth>(StringComparer.Ordinal);
        foreach (var (id, data, channel) in history)
        {
            if (!clients.TryGetValue(id, out var client)) clients[id] = client = new InsightClient { Id = id };
            foreach (var tally in Apply(client, data, channel)) Add(MonthFor(months, tally), tally);
        }
        return months;
    }

    public static InsightMonth MonthFor(IDictionary<string, InsightMonth> months, Tally tally)
    {
        ArgumentNullException.ThrowIfNull(months);
        var id = InsightMonth.IdFor(tally.Organisation, tally.Month);
        if (!months.TryGetValue(id, out var month))
            months[id] = month = new InsightMonth { Id = id, Organisation = tally.Organisation, Month = tally.Month };
        return month;
    }
}
