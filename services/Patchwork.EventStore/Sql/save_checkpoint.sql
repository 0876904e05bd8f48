-- $1 subscription name, $2 tx_id and $3 seq of the last event handled.
UPDATE {schema}.subscriptions
SET tx_id = $2, seq = $3, state = 'running', attempts = 0, failing_seq = NULL, error = NULL, updated_at = now()
WHERE name = $1
