using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Identity;

namespace Patchwork.Server.Api;

/// <summary>
/// A state-changing API request made with a practitioner's session cookie must carry the antiforgery token
/// (<c>RequestVerificationToken</c> header, from <c>GET /account/antiforgery</c>): a cookie is sent by the browser on
/// its own, a token only by our pages. Partner systems authenticate with a bearer token, which no other site can
/// make a browser send, so their requests need none.
/// </summary>
internal sealed class CookieAntiforgery(IAntiforgery antiforgery) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var changesState = !(HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method) || HttpMethods.IsOptions(http.Request.Method));
        var bySessionCookie = http.User.Identities.Any(identity => identity.IsAuthenticated && identity.AuthenticationType == IdentityConstants.ApplicationScheme);
        if (changesState && bySessionCookie && !await antiforgery.IsRequestValidAsync(http))
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Missing or invalid antiforgery token",
                detail: "Send the RequestVerificationToken header from GET /account/antiforgery with every change made with a session.");
        return await next(context);
    }
}
