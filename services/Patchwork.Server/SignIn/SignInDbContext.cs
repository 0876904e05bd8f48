using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using OpenIddict.EntityFrameworkCore.Models;

namespace Patchwork.Server.SignIn;

/// <summary>The schema the sign-in tables live in (the event store's), resolved from configuration.</summary>
public sealed record SignInSchema(string Name);

/// <summary>
/// Identity's user store and the invitations, as <c>identity_*</c> tables, and OpenIddict's stores of partner systems
/// and their tokens, as <c>openiddict_*</c> tables, all with snake_case columns.
/// </summary>
public sealed class SignInDbContext(DbContextOptions<SignInDbContext> options, SignInSchema schema)
    : IdentityUserContext<ApplicationUser, Guid>(options)
{
    public string Schema { get; } = schema.Name;

    public DbSet<Invitation> Invitations => Set<Invitation>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.HasDefaultSchema(Schema);
        builder.Entity<ApplicationUser>(user =>
        {
            user.ToTable("identity_user");
            user.HasIndex(u => u.NormalizedUserName).HasDatabaseName("identity_user_user_name").IsUnique();
            user.HasIndex(u => u.NormalizedEmail).HasDatabaseName("identity_user_email");
            user.HasIndex(u => u.PractitionerId).HasDatabaseName("identity_user_practitioner").IsUnique();
            user.Property(u => u.DisplayName).HasMaxLength(200);
        });
        builder.Entity<IdentityUserClaim<Guid>>().ToTable("identity_user_claim");
        builder.Entity<IdentityUserLogin<Guid>>().ToTable("identity_user_login");
        builder.Entity<IdentityUserToken<Guid>>().ToTable("identity_user_token");
        builder.UseOpenIddict();
        builder.Entity<OpenIddictEntityFrameworkCoreApplication>().ToTable("openiddict_application");
        builder.Entity<OpenIddictEntityFrameworkCoreAuthorization>().ToTable("openiddict_authorization");
        builder.Entity<OpenIddictEntityFrameworkCoreScope>().ToTable("openiddict_scope");
        builder.Entity<OpenIddictEntityFrameworkCoreToken>().ToTable("openiddict_token");
        builder.Entity<Invitation>(invitation =>
        {
            invitation.ToTable("identity_invitation");
            invitation.HasIndex(i => i.TokenHash).HasDatabaseName("identity_invitation_token").IsUnique();
            invitation.Property(i => i.TokenHash).HasMaxLength(64);
            invitation.Property(i => i.DisplayName).HasMaxLength(200);
            invitation.Property(i => i.Email).HasMaxLength(256);
        });
        foreach (var entity in builder.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties()) property.SetColumnName(SnakeCase(property.Name));
        }
    }

    private static string SnakeCase(string name)
    {
        var snake = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0) snake.Append('_');
            snake.Append(char.ToLowerInvariant(name[i]));
        }
        return snake.ToString();
    }
}

/// <summary>EF caches one model per context type; test hosts in one process use different schemas, so the schema is part of the key.</summary>
internal sealed class SchemaModelCacheKeyFactory : IModelCacheKeyFactory
{
    public object Create(DbContext context, bool designTime) =>
        context is SignInDbContext signIn ? (context.GetType(), signIn.Schema, designTime) : (context.GetType(), designTime);
}
