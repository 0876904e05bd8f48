-- Position, health and lag of every subscription; $1 lock name prefix, $2 pending events counted at most.
SELECT s.name, s.tx_id, s.seq, s.state, s.attempts, s.error, s.updated_at,
       s.failing_seq, s.failing_event_id, s.failing_event_name, s.failing_stream_id,
       (SELECT count(*) FROM (SELECT 1 FROM {schema}.events e
                              WHERE (e.tx_id, e.seq) > (s.tx_id, s.seq) LIMIT $2) pending) AS pending,
       (SELECT e.recorded_at FROM {schema}.events e
        WHERE (e.tx_id, e.seq) > (s.tx_id, s.seq) ORDER BY e.tx_id, e.seq LIMIT 1) AS oldest_pending_at,
       EXISTS (SELECT 1 FROM pg_locks l
               WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
                 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                 AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended($1 || s.name, 0)) AS led
FROM {schema}.subscription_status s
ORDER BY s.name
