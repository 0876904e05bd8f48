namespace Patchwork.EventStore;

/// <summary>
/// Who caused the events of one save, and in answer to what: stored beside every event. <see cref="TraceParent"/> is
/// the W3C trace context of the activity that saved them (ids only), read back so the relays continue that trace.
/// <see cref="Channel"/> is the door the save came through ("web", "api", "bus"), for the insight figures.
/// </summary>
public sealed record EventMetadata(
    Guid? CorrelationId = null,
    Guid? CausationId = null,
    ActingPrincipal? ActedBy = null,
    Guid? OrganisationId = null,
    string? TraceParent = null,
    string? Channel = null)
{
    public static EventMetadata None { get; } = new();
}

/// <summary>The practitioner or partner system (or Patchwork itself) that acted; ids only, never names.</summary>
public sealed record ActingPrincipal(PrincipalKind Kind, Guid Id)
{
    internal string StoredKind => Kind switch
    {
        PrincipalKind.Practitioner => "practitioner",
        PrincipalKind.PartnerSystem => "partner-system",
        PrincipalKind.System => "system",
        _ => throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "an unknown kind of principal"),
    };

    internal static ActingPrincipal? FromStored(string? kind, Guid? id) => (kind, id) switch
    {
        (null, _) or (_, null) => null,
        ("practitioner", { } practitioner) => new(PrincipalKind.Practitioner, practitioner),
        ("partner-system", { } partnerSystem) => new(PrincipalKind.PartnerSystem, partnerSystem),
        ("system", { } system) => new(PrincipalKind.System, system),
        _ => throw new InvalidOperationException($"The log holds an unknown kind of principal: {kind}"),
    };
}

public enum PrincipalKind
{
    Practitioner,
    PartnerSystem,
    System,
}
