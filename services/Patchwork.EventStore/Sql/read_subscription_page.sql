-- The next page after the checkpoint ($1 tx_id, $2 seq), $3 events at most. Only transactions older
-- than every one still running are read, so an event whose transaction commits late is waited for,
-- never passed over.
SELECT seq, id, stream_id, version, name, data, correlation_id, causation_id, actor_kind, actor_id,
       organisation_id, recorded_at, tx_id
FROM {schema}.events
WHERE (tx_id, seq) > ($1, $2)
  AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
ORDER BY tx_id, seq
LIMIT $3
