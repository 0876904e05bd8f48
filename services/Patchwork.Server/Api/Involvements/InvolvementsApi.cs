using Patchwork.Core;
using Patchwork.Core.Involvements;
using Patchwork.Server.Api.Clients;
using Patchwork.Server.Domain;
using Patchwork.Server.Tokens;

namespace Patchwork.Server.Api.Involvements;

public sealed record RecordInvolvementRequest(
    Guid? InvolvementId, string? Role, string? Service, string? Category, DateOnly? Start, ContactBody? Contact, bool Undisclosed, Guid? OnBehalfOf);

public sealed record EndInvolvementRequest(DateOnly? End);

public sealed record ChangeInvolvementRequest(string? Role, ContactBody? Contact);

public sealed record InvolvementResponse(Guid InvolvementId);

public static class InvolvementsApi
{
    public static RouteGroupBuilder MapInvolvementsApi(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        api.MapPost("/clients/{clientId}/involvements", async (Guid clientId, RecordInvolvementRequest body, CurrentActor me, ClientCommands commands,
                PractitionerDirectory practitioners, HttpContext http, CancellationToken ct) =>
            {
                var named = body.OnBehalfOf is { } other ? await practitioners.ActiveOrganisationOfAsync(new PractitionerId(other), ct) : null;
                return await commands.HandleAsync(http, me, Recording.UseCase(new ClientId(clientId), categories => body.ToCommand(new ClientId(clientId), categories), me.Actor, named),
                    recorded => TypedResults.Created($"/api/v1/clients/{clientId}/involvements/{recorded.Involvement.Value}",
                        new InvolvementResponse(recorded.Involvement.Value)), ct);
            })
            .AllowPartnerWith(PartnerScopes.InvolvementsWrite).WithName("RecordInvolvement");

        api.MapPost("/clients/{clientId}/involvements/{involvementId}/end", (Guid clientId, Guid involvementId, EndInvolvementRequest body, CurrentActor me,
                ClientCommands commands, HttpContext http, CancellationToken ct) =>
                commands.HandleAsync(http, me, Ending.UseCase(new ClientId(clientId), new InvolvementId(involvementId), body.End, me.Actor),
                    _ => TypedResults.Ok(new InvolvementResponse(involvementId)), ct))
            .AllowPartnerWith(PartnerScopes.InvolvementsWrite).WithName("EndInvolvement");

        api.MapPatch("/clients/{clientId}/involvements/{involvementId}", (Guid clientId, Guid involvementId, ChangeInvolvementRequest body, CurrentActor me,
                ClientCommands commands, HttpContext http, CancellationToken ct) =>
                commands.HandleAsync(http, me, ChangingRoleOrContact.UseCase(
                        new ChangeRoleOrContact(new ClientId(clientId), new InvolvementId(involvementId), body.Role, body.Contact?.ToRoute()), me.Actor),
                    _ => TypedResults.Ok(new InvolvementResponse(involvementId)), ct))
            .AllowPartnerWith(PartnerScopes.InvolvementsWrite).WithName("ChangeInvolvement");
        return api;
    }

    /// <summary>The request as the slice's command; the category is looked up by name in the partnership's list.</summary>
    private static Result<RecordInvolvement> ToCommand(this RecordInvolvementRequest body, ClientId client, CategoryList categories) =>
        Recording.Command(client, new InvolvementId(body.InvolvementId ?? Guid.CreateVersion7()), body.Role, body.Service, body.Category, body.Start,
            body.Contact?.ToRoute(), categories, body.Undisclosed, body.OnBehalfOf is { } other ? new PractitionerId(other) : null);
}
