-- $1 channel: wakes every listening subscription runner. A NOTIFY gives its transaction an id, so its commit would
-- wait for a WAL flush like a write; this one commits without waiting (set_config local to the statement's own
-- transaction). Nothing is lost by it: the appends it announces committed durably before it, and runners also poll.
SELECT set_config('synchronous_commit', 'off', true), pg_notify($1, '')
