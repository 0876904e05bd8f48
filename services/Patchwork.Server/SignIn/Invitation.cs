using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using Patchwork.Core;

namespace Patchwork.Server.SignIn;

/// <summary>An organisation admin's one-time, expiring invitation for a practitioner to create their account.</summary>
public sealed class Invitation
{
    public Guid Id { get; set; }

    /// <summary>SHA-256 of the link's token: a database reader cannot use a pending invitation.</summary>
    public string TokenHash { get; set; } = "";

    public Guid OrganisationId { get; set; }

    public Guid PractitionerId { get; set; }

    public string DisplayName { get; set; } = "";

    public string Email { get; set; } = "";

    public Roles Roles { get; set; }

    public Guid InvitedBy { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? AcceptedAt { get; set; }

    /// <summary>256 random bits, URL-safe: guessing one is hopeless, so a plain hash (no salt, no stretching) suffices.</summary>
    public static string NewToken() => WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
