using Microsoft.AspNetCore.Antiforgery;

namespace Patchwork.Server.SignIn;

public static class AntiforgeryEndpointExtensions
{
    /// <summary>
    /// Validates the antiforgery token (form field or header) before the handler runs. Form-bound minimal APIs are checked
    /// by the framework already; this covers JSON bodies and bodiless posts that a cookie would otherwise authorise.
    /// </summary>
    public static TBuilder RequireAntiforgeryToken<TBuilder>(this TBuilder endpoint) where TBuilder : IEndpointConventionBuilder =>
        endpoint.AddEndpointFilter(async (context, next) =>
        {
            var antiforgery = context.HttpContext.RequestServices.GetRequiredService<IAntiforgery>();
            return await antiforgery.IsRequestValidAsync(context.HttpContext)
                ? await next(context)
                : TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Antiforgery token missing or invalid",
                    detail: "Fetch a token from GET /account/antiforgery and send it with the request.");
        });
}
