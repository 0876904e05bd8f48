using Npgsql;
using NpgsqlTypes;
using Patchwork.Core;
using Patchwork.Core.Clients;
using Patchwork.EventStore;

namespace Patchwork.Server.PartnerBus;

/// <summary>
/// The inbox of partner commands: each event a partner command caused records (organisation, message id) in the
/// append's own transaction. A second delivery of the same message hits the primary key and its append rolls back.
/// </summary>
public sealed class PartnerInboxProjection(EventStoreOptions store) : IInlineProjection
{
    private readonly string _table = CoreSchema.Quote(store.Schema) + ".partner_inbox";

    public string Name => "partner-inbox";

    public IReadOnlySet<string> EventNames { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        Core.EventNames.InvolvementRecorded, Core.EventNames.InvolvementEnded,
    };

    public async Task ApplyAsync(ProjectionContext context, IReadOnlyList<RecordedEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(events);
        var handled = events
            .Where(e => e.Metadata is { ActedBy.Kind: PrincipalKind.PartnerSystem, CausationId: not null, OrganisationId: not null })
            .Select(e => (Organisation: e.Metadata.OrganisationId!.Value, Message: e.Metadata.CausationId!.Value))
            .Distinct()
            .ToList();
        if (handled.Count == 0) return;
        // One statement for the batch: a group commit can bring several partners' commands at once.
        await using var insert = new NpgsqlCommand($"INSERT INTO {_table} (organisation_id, message_id) SELECT * FROM unnest(@organisations, @messages)",
            context.Connection, context.Transaction);
        insert.Parameters.Add(new NpgsqlParameter("organisations", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = handled.Select(h => h.Organisation).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter("messages", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = handled.Select(h => h.Message).ToArray() });
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task ResetAsync(ProjectionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        // The inbox is a record of deliveries, not derivable from events alone past their metadata; a rebuild keeps it.
        await Task.CompletedTask;
    }

    /// <summary>Whether this organisation's endpoint already handled the message.</summary>
    public static async Task<bool> HandledAsync(NpgsqlDataSource database, string schema, OrganisationId organisation, Guid message, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            $"SELECT EXISTS (SELECT 1 FROM {CoreSchema.Quote(schema)}.partner_inbox WHERE organisation_id = @organisation AND message_id = @message)");
        command.Parameters.AddWithValue("organisation", organisation.Value);
        command.Parameters.AddWithValue("message", message);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
