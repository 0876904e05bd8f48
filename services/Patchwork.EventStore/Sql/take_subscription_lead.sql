-- $1 lock name: held for the life of the runner's session, released by PostgreSQL when the session dies.
SELECT pg_try_advisory_lock(hashtextextended($1, 0))
