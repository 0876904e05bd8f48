-- $1 subscription name.
SELECT tx_id, seq, state, attempts FROM {schema}.subscriptions WHERE name = $1
