namespace Patchwork.Core;

/// <summary>The kind of agency an organisation is; consents and objections may name a whole sector.</summary>
public enum Sector
{
    SocialCare,
    Police,
    Health,
    Education,
    Housing,
    Voluntary,
    Other,
}
