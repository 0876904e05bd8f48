using Microsoft.AspNetCore.Identity;
using Patchwork.Core;

namespace Patchwork.Server.SignIn;

/// <summary>A practitioner's sign-in account: Identity's user, linked to the domain practitioner it acts as.</summary>
public sealed class ApplicationUser : IdentityUser<Guid>
{
    public Guid PractitionerId { get; set; }

    public Guid OrganisationId { get; set; }

    public string DisplayName { get; set; } = "";

    public Roles Roles { get; set; }

    /// <summary>A disabled account cannot sign in, and its sessions end on their next request.</summary>
    public bool Disabled { get; set; }
}
