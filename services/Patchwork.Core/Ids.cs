namespace Patchwork.Core;

/// <summary>Identifies a client; time-ordered so new rows append to the end of an index.</summary>
public readonly record struct ClientId(Guid Value)
{
    public static ClientId New() => new(Guid.CreateVersion7());

    public override string ToString() => Value.ToString();
}

/// <summary>Identifies a practitioner; time-ordered so new rows append to the end of an index.</summary>
public readonly record struct PractitionerId(Guid Value)
{
    public static PractitionerId New() => new(Guid.CreateVersion7());

    public override string ToString() => Value.ToString();
}

/// <summary>Identifies an organisation; time-ordered so new rows append to the end of an index.</summary>
public readonly record struct OrganisationId(Guid Value)
{
    public static OrganisationId New() => new(Guid.CreateVersion7());

    public override string ToString() => Value.ToString();
}

/// <summary>Identifies an involvement; time-ordered so new rows append to the end of an index.</summary>
public readonly record struct InvolvementId(Guid Value)
{
    public static InvolvementId New() => new(Guid.CreateVersion7());

    public override string ToString() => Value.ToString();
}

/// <summary>Identifies a partner system; time-ordered so new rows append to the end of an index.</summary>
public readonly record struct PartnerSystemId(Guid Value)
{
    public static PartnerSystemId New() => new(Guid.CreateVersion7());

    public override string ToString() => Value.ToString();
}

/// <summary>Identifies a consent; time-ordered so new rows append to the end of an index.</summary>
public readonly record struct ConsentId(Guid Value)
{
    public static ConsentId New() => new(Guid.CreateVersion7());

    public override string ToString() => Value.ToString();
}

/// <summary>Identifies an objection; time-ordered so new rows append to the end of an index.</summary>
public readonly record struct ObjectionId(Guid Value)
{
    public static ObjectionId New() => new(Guid.CreateVersion7());

    public override string ToString() => Value.ToString();
}

/// <summary>Identifies a sharing without consent; time-ordered so new rows append to the end of an index.</summary>
public readonly record struct SharingWithoutConsentId(Guid Value)
{
    public static SharingWithoutConsentId New() => new(Guid.CreateVersion7());

    public override string ToString() => Value.ToString();
}

/// <summary>Identifies an agreement; time-ordered so new rows append to the end of an index.</summary>
public readonly record struct AgreementId(Guid Value)
{
    public static AgreementId New() => new(Guid.CreateVersion7());

    public override string ToString() => Value.ToString();
}

/// <summary>Identifies a grant; time-ordered so new rows append to the end of an index.</summary>
public readonly record struct GrantId(Guid Value)
{
    public static GrantId New() => new(Guid.CreateVersion7());

    public override string ToString() => Value.ToString();
}

/// <summary>Identifies an attention; time-ordered so new rows append to the end of an index.</summary>
public readonly record struct AttentionId(Guid Value)
{
    public static AttentionId New() => new(Guid.CreateVersion7());

    public override string ToString() => Value.ToString();
}

/// <summary>Identifies a contact request; time-ordered so new rows append to the end of an index.</summary>
public readonly record struct ContactRequestId(Guid Value)
{
    public static ContactRequestId New() => new(Guid.CreateVersion7());

    public override string ToString() => Value.ToString();
}
