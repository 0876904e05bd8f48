-- $1 stream id; returns no row when the stream does not exist.
UPDATE {schema}.streams SET archived = true WHERE id = $1 RETURNING version
