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
                return await commands.HandleAsync(new ClientCommand(http, me, new ClientId(clientId), "involvement.record") { OpenToAnyone = true },
                    (client, partnership, now) => body.Decide(client, me, partnership, now, named),
                    recorded => TypedResults.Created($"/api/v1/clients/{clientId}/involvements/{recorded.Involvement.Value}",
                        new InvolvementResponse(recorded.Involvement.Value)), ct);
            })
            .AllowPartnerWith(PartnerScopes.InvolvementsWrite).WithName("RecordInvolvement");

        api.MapPost("/clients/{clientId}/involvements/{involvementId}/end", (Guid clientId, Guid involvementId, EndInvolvementRequest body, CurrentActor me,
                ClientCommands commands, HttpContext http, CancellationToken ct) =>
                commands.HandleAsync(new ClientCommand(http, me, new ClientId(clientId), "involvement.end") { Involvement = new InvolvementId(involvementId) },
                    (client, _, now) => Ending.Decide(client, new EndInvolvement(client.Client, new InvolvementId(involvementId), body.End ?? Calendar.Today(now)), me.Actor, now),
                    _ => TypedResults.Ok(new InvolvementResponse(involvementId)), ct))
            .AllowPartnerWith(PartnerScopes.InvolvementsWrite).WithName("EndInvolvement");

        api.MapPatch("/clients/{clientId}/involvements/{involvementId}", (Guid clientId, Guid involvementId, ChangeInvolvementRequest body, CurrentActor me,
                ClientCommands commands, HttpContext http, CancellationToken ct) =>
                commands.HandleAsync(new ClientCommand(http, me, new ClientId(clientId), "involvement.change") { Involvement = new InvolvementId(involvementId) },
                    (client, _, now) => ChangingRoleOrContact.Decide(client,
                        new ChangeRoleOrContact(client.Client, new InvolvementId(involvementId), body.Role, body.Contact?.ToRoute()), me.Actor, now),
                    _ => TypedResults.Ok(new InvolvementResponse(involvementId)), ct))
            .AllowPartnerWith(PartnerScopes.InvolvementsWrite).WithName("ChangeInvolvement");
        return api;
    }

    /// <summary>The request as the slice's command; the category is looked up by name in the partnership's list.</summary>
    internal static Result<InvolvementRecorded> Decide(this RecordInvolvementRequest body, ClientSharing client, CurrentActor me, Partnership partnership, DateTimeOffset now,
        OrganisationId? namedPractitionersOrganisation = null)
    {
        if (body.Start is not { } start) return Problem.Invalid("start", "is required");
        if (body.Contact is null) return Problem.Invalid("contact", "give a phone number or an email address");
        if (partnership.Categories.Find(body.Category ?? Category.General.Name) is not { } category)
            return Problem.Invalid("category", "is not one of the partnership's categories");
        var command = new RecordInvolvement(client.Client, new InvolvementId(body.InvolvementId ?? Guid.CreateVersion7()), body.Role ?? "", body.Service,
            category, start, body.Contact.ToRoute(), body.Undisclosed, body.OnBehalfOf is { } other ? new PractitionerId(other) : null);
        return Recording.Decide(client, command, me.Actor, partnership.Categories, now, namedPractitionersOrganisation);
    }
}
