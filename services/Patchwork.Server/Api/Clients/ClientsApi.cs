using Patchwork.Core;
using Patchwork.Server.Tokens;

namespace Patchwork.Server.Api.Clients;

public static class ClientsApi
{
    public const string SearchRateLimit = "patchwork-api-search";

    public static RouteGroupBuilder MapClientsApi(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        api.MapPost("/clients", (RegisterClientRequest body, CurrentActor me, ClientReads clients, HttpContext http, CancellationToken ct) =>
                clients.RegisterAsync(http, me, body, ct))
            // A likely duplicate is answered without identity (rule 12), so registering needs no read scope; it shares the
            // search's limit per caller, as a registration is also a lookup of the register.
            .AllowPartnerWith(PartnerScopes.InvolvementsWrite).RequireRateLimiting(SearchRateLimit).WithName("RegisterClient");

        api.MapGet("/clients", ([AsParameters] ClientSearchQuery query, Guid? after, int? limit, CurrentActor me, ClientReads clients, HttpContext http,
                CancellationToken ct) => clients.SearchAsync(http, me, query, after, limit, ct))
            .AllowPartnerWith(PartnerScopes.Read).RequireRateLimiting(SearchRateLimit).WithName("SearchClients")
            .WithDescription("Paged: limit (1 to 20, default 20) and after (the clientId of the last match of the previous page, also given as nextAfter); when more follow, the Link header names the next page (rel=\"next\").");

        api.MapGet("/clients/{clientId}/team", (Guid clientId, string? purpose, CurrentActor me, ClientReads clients, HttpContext http, CancellationToken ct) =>
                clients.TeamAsync(http, me, new ClientId(clientId), purpose, ct))
            // A bare status code says nothing of itself in the document: 304 is declared here.
            .AllowPartnerWith(PartnerScopes.Read).WithName("GetClientTeam").Produces(StatusCodes.Status304NotModified);
        return api;
    }
}
