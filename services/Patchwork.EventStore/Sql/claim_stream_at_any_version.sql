-- Claims a stream whatever its version, starting it when missing: $1 stream id, $2 stream type, $3 number of events.
INSERT INTO {schema}.streams AS s (id, type, version) VALUES ($1, $2, $3)
ON CONFLICT (id) DO UPDATE SET version = s.version + EXCLUDED.version
WHERE NOT s.archived
RETURNING version
