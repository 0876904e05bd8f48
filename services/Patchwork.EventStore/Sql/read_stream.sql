-- One stream's events in version order from a version on: $1 stream id, $2 first version.
SELECT seq, id, stream_id, version, name, data, correlation_id, causation_id, actor_kind, actor_id,
       organisation_id, recorded_at, tx_id
FROM {schema}.events
WHERE stream_id = $1 AND version >= $2
ORDER BY version
