using Marten;
using Npgsql;

namespace Patchwork.EventStore;

/// <summary>
/// Statements of our own (an audit entry, a justification, a relay's told-list) that Marten sends in its transaction after
/// its own writes and before the commit, in one round trip: they commit with the events (or the checkpoint) or not at all.
/// </summary>
public sealed class StatementsBeforeCommit(IReadOnlyList<NpgsqlBatchCommand> statements) : ITransactionParticipant
{
    /// <summary>Joins <paramref name="statements"/> to the session's next save; nothing is added when there are none.</summary>
    public static void Join(IDocumentSession session, IReadOnlyList<NpgsqlBatchCommand> statements)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(statements);
        if (statements.Count == 0) return;
        if (session is not ITransactionParticipantRegistrar registrar)
            throw new InvalidOperationException("This Marten session takes no transaction participant: the statements could not commit with its events.");
        registrar.AddTransactionParticipant(new StatementsBeforeCommit(statements));
    }

    public async Task BeforeCommitAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken token)
    {
        // Copies: should Marten send its transaction again, each attempt has statements of its own.
        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var statement in statements)
        {
            var copy = new NpgsqlBatchCommand(statement.CommandText);
            foreach (NpgsqlParameter parameter in statement.Parameters) copy.Parameters.Add(parameter.Clone());
            batch.BatchCommands.Add(copy);
        }
        await batch.ExecuteNonQueryAsync(token);
    }
}
