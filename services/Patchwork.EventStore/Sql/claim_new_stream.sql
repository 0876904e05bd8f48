-- Claims a stream that must not exist yet: $1 stream id, $2 stream type, $3 number of events.
-- ON CONFLICT DO NOTHING waits for a concurrent starter and then returns no row: the caller's conflict.
INSERT INTO {schema}.streams (id, type, version) VALUES ($1, $2, $3)
ON CONFLICT (id) DO NOTHING
RETURNING version
