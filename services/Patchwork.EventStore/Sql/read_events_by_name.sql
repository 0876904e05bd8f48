-- A page of the log for rebuilding a projection: $1 event names, $2 last sequence read, $3 page size.
SELECT seq, id, stream_id, version, name, data, correlation_id, causation_id, actor_kind, actor_id,
       organisation_id, recorded_at, tx_id
FROM {schema}.events
WHERE name = ANY ($1) AND seq > $2
ORDER BY seq
LIMIT $3
