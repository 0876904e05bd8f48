-- What a rejected writer is told: $1 stream id.
SELECT version, archived FROM {schema}.streams WHERE id = $1
