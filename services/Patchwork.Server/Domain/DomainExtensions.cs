using Npgsql;
using Patchwork.Core;
using Patchwork.Core.Access;
using Patchwork.Core.Clients;
using Patchwork.Core.Insight;
using Patchwork.EventStore;

namespace Patchwork.Server.Domain;

public static class DomainExtensions
{
    /// <summary>
    /// The event store with the domain's events and inline projections, the domain's own tables, the client team
    /// reader and — when its keys are configured — the encrypted identity vault. Migrations run at start when the
    /// owner role's connection string is set.
    /// </summary>
    public static WebApplicationBuilder AddPatchworkDomain(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var application = configuration.GetConnectionString("Patchwork");
        if (string.IsNullOrWhiteSpace(application))
            throw new InvalidOperationException("ConnectionStrings:Patchwork is not set (see README, Configuration).");
        var owner = configuration.GetConnectionString("PatchworkOwner");
        var schema = configuration["EventStore:Schema"] is { Length: > 0 } configured ? configured : "patchwork";

        builder.Services.AddPatchworkEventStore(store =>
        {
            store.Schema = schema;
            store.ConnectionString = application;
            store.MigrationConnectionString = string.IsNullOrWhiteSpace(owner) ? null : owner;
            store.Events.RegisterFrom(typeof(ClientSharing).Assembly);
            store.AddClientState().AddPartnershipState();
            store.AddInsightDocuments();
        });
        // One pool for the application role: the store's.
        builder.Services.AddSingleton(provider => provider.GetRequiredService<EventStore.EventStore>().DataSource);
        // The domain's tables, after the event store's own migration.
        if (!string.IsNullOrWhiteSpace(owner)) builder.Services.AddSchemaMigration(owner, (_, database, cancellationToken) => CoreSchema.MigrateAsync(database, schema, cancellationToken));
        builder.Services.AddSchemaMigration((provider, cancellationToken) =>
            ClientReadModels.RebuildClientStateIfMissingAsync(provider.GetRequiredService<EventStore.EventStore>(), cancellationToken));
        builder.Services.AddSchemaMigration((provider, cancellationToken) =>
            PartnershipReadModel.RebuildPartnershipIfMissingAsync(provider.GetRequiredService<EventStore.EventStore>(), cancellationToken));

        builder.Services.AddSingleton(_ => new PolicyOptions(MaskingKey.From(Convert.FromBase64String(
            configuration["Policy:MaskingKey"] is { Length: > 0 } key ? key
                : throw new InvalidOperationException("Policy:MaskingKey is not set (32 random bytes, base64)."))))
        {
            EndedVisibilityDays = configuration.GetValue("Policy:EndedVisibilityDays", 90),
        });
        builder.Services.AddSingleton<ClientTeamReader>();
        builder.Services.AddSingleton<PractitionerDirectory>();

        var personalData = configuration.GetSection(PersonalDataOptions.Section).Get<PersonalDataOptions>() ?? new PersonalDataOptions();
        personalData.Schema = schema;
        if (!string.IsNullOrWhiteSpace(personalData.BlindIndexKey))
            builder.Services.AddPatchworkPersonalData(personalData, PersonalDataServiceCollectionExtensions.LoadKeyRingCertificate(personalData));
        if (configuration.GetValue<bool>("Demo:Seed"))
        {
            if (string.IsNullOrWhiteSpace(personalData.BlindIndexKey))
                throw new InvalidOperationException("Demo:Seed needs the identity vault: set PersonalData:BlindIndexKey and the key ring certificate.");
            builder.Services.AddHostedService<Demo.DemoPartnership>();
            // After the partnership (hosted services start in order): its agencies' fictional history for the insight page.
            if (configuration.GetValue<bool>("Demo:InsightHistory")) builder.Services.AddHostedService<Demo.DemoInsightHistory>();
        }
        return builder;
    }
}
