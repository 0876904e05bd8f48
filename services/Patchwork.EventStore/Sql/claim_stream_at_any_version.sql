-- Claims a stream whatever its version, starting it when missing: $1 stream id, $2 stream type, $3 number of events.
-- Its lock condition is just true after lock_streams.sql; composed into append_events.sql it takes the stream's lock.
INSERT INTO {schema}.streams AS s (id, type, version) SELECT $1, $2, $3 WHERE {locked}
ON CONFLICT (id) DO UPDATE SET version = s.version + EXCLUDED.version
WHERE NOT s.archived
RETURNING version
