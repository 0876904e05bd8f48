-- $1 subscription name; a new subscription starts before the first event.
INSERT INTO {schema}.subscriptions (name) VALUES ($1) ON CONFLICT (name) DO NOTHING
