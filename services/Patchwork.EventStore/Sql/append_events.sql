-- Claims the stream and writes its events in one statement, so a writer that loses the claim never
-- reaches the insert and draws no sequence number. The claim is one of the claim_*.sql statements.
-- $1 stream id, $2 stream type or expected version, $3 number of events, $4 ids, $5 names, $6 data,
-- $7 correlation id, $8 causation id, $9 actor kind, $10 actor id, $11 organisation id, $12 recorded at,
-- $13 stream lock name prefix. The claim first takes the stream's lock, as lock_streams.sql explains, inside
-- its WHERE clause: that runs before the row is written, so before this transaction draws its id.
WITH claimed AS (
{claim}
), appended AS (
    INSERT INTO {schema}.events (id, stream_id, version, name, data, correlation_id, causation_id,
                                 actor_kind, actor_id, organisation_id, recorded_at)
    SELECT e.id, $1, c.version - $3 + e.ordinal, e.name, e.data, $7, $8, $9, $10, $11, $12
    FROM claimed c
    CROSS JOIN unnest($4::uuid[], $5::text[], $6::jsonb[]) WITH ORDINALITY AS e (id, name, data, ordinal)
    RETURNING seq, version, tx_id
)
SELECT seq, version, tx_id FROM appended ORDER BY version
