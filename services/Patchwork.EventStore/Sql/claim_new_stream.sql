-- Claims a stream that must not exist yet: $1 stream id, $2 stream type, $3 number of events.
-- Its lock condition is just true after lock_streams.sql; composed into append_events.sql it takes the stream's lock.
-- ON CONFLICT DO NOTHING waits for a concurrent starter and then returns no row: the caller's conflict.
INSERT INTO {schema}.streams (id, type, version) SELECT $1, $2, $3 WHERE {locked}
ON CONFLICT (id) DO NOTHING
RETURNING version
