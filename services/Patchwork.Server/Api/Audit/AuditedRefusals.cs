using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Patchwork.Core;

namespace Patchwork.Server.Api.Audit;

/// <summary>
/// A known caller refused by the API's authorization before any handler runs (a partner system at a practitioners-only
/// endpoint, a token without the endpoint's scope) is a denial like any other: it gets its one audit entry, naming the
/// client when the route does. An anonymous caller is nobody to audit; the 401 is answered and nothing is written.
/// </summary>
internal sealed class AuditedRefusals(RequestAudit audit) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        var fhir = context.Request.Path.StartsWithSegments(Fhir.FhirApi.Prefix);
        if (authorizeResult.Forbidden && (fhir || context.Request.Path.StartsWithSegments(ApiExtensions.Prefix)) && CurrentActor.From(context.User) is { } caller)
        {
            if (fhir) RequestAudit.MarkChannel(context, AuditChannel.Fhir);
            var named = fhir ? context.Request.Query["patient"].ToString().Replace("Patient/", "", StringComparison.Ordinal)
                : context.Request.RouteValues.GetValueOrDefault("clientId")?.ToString();
            var client = Guid.TryParse(named, out var id) ? new ClientId(id) : (ClientId?)null;
            var action = context.GetEndpoint()?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName ?? context.Request.Path.Value ?? "";
            await audit.DeniedAsync(context, caller, action, client, "EndpointNotForThisCaller");
        }
        await _default.HandleAsync(next, context, policy, authorizeResult);
        // The FHIR door answers its refusals as OperationOutcomes; the challenge set the status and WWW-Authenticate, no body.
        if (fhir && !authorizeResult.Succeeded && !context.Response.HasStarted) await Fhir.FhirApi.WriteOutcomeAsync(context);
        // The API answers them as problems, as its document says: authorization runs before the API's status code pages, and
        // a partner token's challenge (unlike the session cookie's) writes no body. After every scheme has challenged, once.
        else if (!authorizeResult.Succeeded && !context.Response.HasStarted && context.Request.Path.StartsWithSegments(ApiExtensions.Prefix)
                 && context.Response.StatusCode is StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden)
            await TypedResults.Problem(statusCode: context.Response.StatusCode,
                detail: context.Response.StatusCode == StatusCodes.Status401Unauthorized
                    ? "This needs a signed-in session or a partner system's access token; it has none, or it is not valid."
                    : "This caller may not do this.").ExecuteAsync(context);
    }
}
