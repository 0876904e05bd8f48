-- $1 subscription name, $2 state ('retrying' or 'parked'), $3 attempts so far, $4 failing event's seq, $5 error.
UPDATE {schema}.subscriptions
SET state = $2, attempts = $3, failing_seq = $4, error = $5, updated_at = now()
WHERE name = $1
