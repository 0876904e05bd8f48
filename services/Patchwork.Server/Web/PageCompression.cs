using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.Extensions.Options;

namespace Patchwork.Server.Web;

/// <summary>
/// Pages are compressed (gzip or Brotli; static assets come precompressed from the build), except those that show a
/// secret meant for the reader alone — the sign-in steps (an authenticator's shared key, recovery codes) and the partner
/// systems' admin pages (a client secret) — so that no response pairs such a secret with compression (BREACH). Pages that
/// are compressed carry no long-lived secret: the antiforgery token is re-encrypted for every response, the session cookie
/// is never in a body, and the SameSite=Strict cookie means a request another site makes carries no session at all.
/// </summary>
internal sealed class PageCompression(IServiceProvider services, IOptions<ResponseCompressionOptions> options)
    : ResponseCompressionProvider(services, options)
{
    private static readonly PathString[] ShowSecrets = ["/sign-in", "/admin/partner-systems"];

    public override bool ShouldCompressResponse(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return !ShowSecrets.Any(path => context.Request.Path.StartsWithSegments(path, StringComparison.OrdinalIgnoreCase))
            && base.ShouldCompressResponse(context);
    }
}
