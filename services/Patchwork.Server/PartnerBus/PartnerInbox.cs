using Npgsql;
using Patchwork.EventStore;
using Patchwork.Core;
using Patchwork.Core.Clients;

namespace Patchwork.Server.PartnerBus;

/// <summary>
/// The inbox of partner commands: (organisation, message id) for each command carried out, written in the transaction that
/// appends its event. A second delivery of the same message hits the primary key and its append rolls back.
/// </summary>
public static class PartnerInbox
{
    private const string PrimaryKey = "partner_inbox_pkey";

    /// <summary>The inbox row of a command carried out, for the transaction that appends its event.</summary>
    public static NpgsqlBatchCommand Statement(string schema, OrganisationId organisation, Guid message)
    {
        var insert = new NpgsqlBatchCommand($"INSERT INTO {CoreSchema.Quote(schema)}.partner_inbox (organisation_id, message_id) VALUES ($1, $2)");
        insert.Parameters.Add(new NpgsqlParameter { Value = organisation.Value });
        insert.Parameters.Add(new NpgsqlParameter { Value = message });
        return insert;
    }

    /// <summary>Whether a save failed because another delivery of the same message committed first, wherever the failure was wrapped.</summary>
    public static bool IsSecondDelivery(Exception e) =>
        ExceptionChain.IsUniqueViolation(e, p => p.ConstraintName == PrimaryKey);

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
