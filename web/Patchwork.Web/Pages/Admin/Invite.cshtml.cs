using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Patchwork.Web.Desk;

namespace Patchwork.Web.Pages.Admin;

/// <summary>An organisation admin invites a member of their own organisation's staff.</summary>
public sealed class InviteModel(IAdminDesk desk) : PageModel
{
    public FormErrors Errors { get; } = new();

    public string? Name { get; private set; }
    public string? Email { get; private set; }
    public IReadOnlyList<string> Roles { get; private set; } = [];

    /// <summary>Only the roles this administrator may grant (they hold it, or DPO as a partnership admin): nothing offered is refused.</summary>
    public IReadOnlyList<Govuk.Option> RoleOptions => [.. Options.Where(o => desk.Grantable.HasFlag(Enum.Parse<Patchwork.Core.Roles>(o.Value)))];

    private static readonly Govuk.Option[] Options =
    [
        new("Manager", "Manager", "Approves sharing without consent"),
        new("DataProtectionOfficer", "Data protection officer", "Reads who viewed clients and subject access exports"),
        new("OrganisationAdmin", "Organisation admin", "Invites staff and registers partner systems"),
        new("PartnershipAdmin", "Partnership admin", "Makes and ends sharing agreements; erases clients"),
    ];

    public IActionResult OnGet() => desk.Rights.OrganisationAdmin ? Page() : this.NotFoundPage();

    public async Task<IActionResult> OnPostAsync([FromForm] string? name, [FromForm] string? email, [FromForm] string[]? roles, CancellationToken cancellationToken)
    {
        if (!desk.Rights.OrganisationAdmin) return this.NotFoundPage();
        (Name, Email, Roles) = (name?.Trim(), email?.Trim(), roles ?? []);
        if (string.IsNullOrWhiteSpace(Name)) Errors.Add("name", "Enter their full name");
        if (string.IsNullOrWhiteSpace(Email)) Errors.Add("email", "Enter their work email address");
        if (!Errors.Any)
        {
            var sent = await desk.InviteAsync(new NewPractitioner(Name, Email, Roles), cancellationToken);
            if (sent.Refusal is { NotFound: true }) return this.NotFoundPage();
            if (sent.Succeeded) return Redirect("/admin?done=invited");
            Errors.Add(sent.Refusal!.Field is "name" or "roles" ? sent.Refusal.Field : "email", sent.Refusal.Message);
        }
        return Page();
    }
}
