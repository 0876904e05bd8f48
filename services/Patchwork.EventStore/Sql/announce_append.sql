-- $1 channel: wakes every listening subscription runner.
SELECT pg_notify($1, '')
