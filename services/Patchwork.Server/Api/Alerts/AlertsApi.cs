using Patchwork.Core;
using Patchwork.Core.Access;
using Patchwork.Core.Attention;
using Patchwork.Core.ContactRequests;
using Patchwork.Server.Api.Sharing;

namespace Patchwork.Server.Api.Alerts;

public sealed record RequestContactRequest(string? Handle);

public sealed record AnswerContactRequestRequest(ContactAnswer Answer);

/// <summary>Practitioner-to-team signals: raising attention, and reaching a masked involvement through its handle.</summary>
public static class AlertsApi
{
    public static RouteGroupBuilder MapAlertsApi(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        api.MapPost("/clients/{clientId}/attention", (Guid clientId, CurrentActor me, ClientCommands commands, HttpContext http, CancellationToken ct) =>
                commands.HandleAsync(http, me, Raising.UseCase(new RaiseAttention(new ClientId(clientId), AttentionId.New()), me.Actor),
                    raised => TypedResults.Created($"/api/v1/clients/{clientId}/attention/{raised.Attention.Value}", new CreatedResponse(raised.Attention.Value)), ct))
            .WithName("RaiseAttention");

        api.MapPost("/clients/{clientId}/contact-requests", (Guid clientId, RequestContactRequest body, CurrentActor me, ClientCommands commands, PolicyOptions policy,
                HttpContext http, CancellationToken ct) =>
                commands.HandleAsync(http, me, Requesting.UseCase(new ClientId(clientId), ContactRequestId.New(), body.Handle, me.Actor, policy),
                    // The answer names the request only: the requester must not learn which involvement the handle stood for.
                    requested => TypedResults.Created($"/api/v1/clients/{clientId}/contact-requests/{requested.Request.Value}", new CreatedResponse(requested.Request.Value)), ct))
            .WithName("RequestContact");

        api.MapPost("/clients/{clientId}/contact-requests/{requestId}/answer", (Guid clientId, Guid requestId, AnswerContactRequestRequest body, CurrentActor me,
                ClientCommands commands, HttpContext http, CancellationToken ct) =>
                commands.HandleAsync(http, me, Answering.UseCase(new AnswerContactRequest(new ClientId(clientId), new ContactRequestId(requestId), body.Answer), me.Actor),
                    _ => TypedResults.Ok(new CreatedResponse(requestId)), ct))
            .WithName("AnswerContactRequest");
        return api;
    }
}
