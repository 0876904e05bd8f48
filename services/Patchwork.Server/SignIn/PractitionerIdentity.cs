using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Patchwork.Core;

namespace Patchwork.Server.SignIn;

/// <summary>Adds the practitioner, organisation and role claims to Identity's principal.</summary>
internal sealed class PractitionerPrincipalFactory(UserManager<ApplicationUser> users, IOptions<IdentityOptions> options)
    : UserClaimsPrincipalFactory<ApplicationUser>(users, options)
{
    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(ApplicationUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        identity.AddClaim(new Claim(PatchworkClaims.Practitioner, user.PractitionerId.ToString("D")));
        identity.AddClaim(new Claim(PatchworkClaims.Organisation, user.OrganisationId.ToString("D")));
        foreach (var role in RoleNames(user.Roles)) identity.AddClaim(new Claim(PatchworkClaims.Role, role));
        return identity;
    }

    public static IEnumerable<string> RoleNames(Roles roles) =>
        Enum.GetValues<Roles>().Where(role => role != Roles.None && roles.HasFlag(role)).Select(role => role.ToString());
}

/// <summary>Identity's sign-in manager, refusing disabled accounts at every step (password, second factor, refresh).</summary>
internal sealed class PractitionerSignInManager(UserManager<ApplicationUser> userManager, IHttpContextAccessor contextAccessor,
    IUserClaimsPrincipalFactory<ApplicationUser> claimsFactory, IOptions<IdentityOptions> optionsAccessor,
    ILogger<SignInManager<ApplicationUser>> logger, IAuthenticationSchemeProvider schemes, IUserConfirmation<ApplicationUser> confirmation)
    : SignInManager<ApplicationUser>(userManager, contextAccessor, claimsFactory, optionsAccessor, logger, schemes, confirmation)
{
    public override async Task<bool> CanSignInAsync(ApplicationUser user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return !user.Disabled && await base.CanSignInAsync(user);
    }
}

/// <summary>
/// Prefixes cookie names with <c>__Host-</c> on HTTPS requests: the browser then insists on Secure, path / and no Domain,
/// so a sibling subdomain cannot plant or overwrite the session. Plain HTTP (local development, tests) keeps the bare name.
/// </summary>
internal sealed class HostPrefixCookieManager : ICookieManager
{
    public const string Prefix = "__Host-";

    private readonly ChunkingCookieManager _inner = new();

    public string? GetRequestCookie(HttpContext context, string key) => _inner.GetRequestCookie(context, Name(context, key));

    public void AppendResponseCookie(HttpContext context, string key, string? value, CookieOptions options) =>
        _inner.AppendResponseCookie(context, Name(context, key), value, options);

    public void DeleteCookie(HttpContext context, string key, CookieOptions options) =>
        _inner.DeleteCookie(context, Name(context, key), options);

    private static string Name(HttpContext context, string key) => context.Request.IsHttps ? Prefix + key : key;
}
