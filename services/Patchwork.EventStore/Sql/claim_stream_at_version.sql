-- Claims an existing stream at the version the writer read: $1 stream id, $2 expected version, $3 number of events.
-- Its lock condition is just true after lock_streams.sql; composed into append_events.sql it takes the stream's lock.
-- The row lock serialises racing writers; a loser finds the version moved and gets no row.
UPDATE {schema}.streams SET version = version + $3
WHERE id = $1 AND version = $2 AND NOT archived AND {locked}
RETURNING version
