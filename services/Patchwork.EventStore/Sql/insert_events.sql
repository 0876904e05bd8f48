-- Writes the events of a stream already claimed in this transaction, versions following $2.
-- $1 stream id, $2 version before these events, $3 (unused here) number of events, $4 ids, $5 names, $6 data,
-- $7 correlation id, $8 causation id, $9 actor kind, $10 actor id, $11 organisation id, $12 recorded at.
INSERT INTO {schema}.events (id, stream_id, version, name, data, correlation_id, causation_id,
                             actor_kind, actor_id, organisation_id, recorded_at)
SELECT e.id, $1, $2 + e.ordinal, e.name, e.data, $7, $8, $9, $10, $11, $12
FROM unnest($4::uuid[], $5::text[], $6::jsonb[]) WITH ORDINALITY AS e (id, name, data, ordinal)
RETURNING seq, version, tx_id
