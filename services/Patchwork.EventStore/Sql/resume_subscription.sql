-- $1 subscription name: a parked subscription retries its failing event afresh.
UPDATE {schema}.subscriptions
SET state = 'running', attempts = 0, updated_at = now()
WHERE name = $1 AND state = 'parked'
RETURNING name
