-- The store's tables. Runs as the owner role; {schema} and {app_role} arrive as quoted identifiers.
CREATE SCHEMA IF NOT EXISTS {schema};
GRANT USAGE ON SCHEMA {schema} TO {app_role};

CREATE TABLE IF NOT EXISTS {schema}.streams (
    id uuid PRIMARY KEY,
    type text NULL,
    version bigint NOT NULL CHECK (version >= 0),
    archived boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- No foreign key to streams: an event is only ever written after its stream row was claimed in the
-- same transaction, and a per-row key check would cost bulk imports more than it protects.
CREATE TABLE IF NOT EXISTS {schema}.events (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id uuid NOT NULL UNIQUE,
    stream_id uuid NOT NULL,
    version bigint NOT NULL CHECK (version > 0),
    name text NOT NULL,
    data jsonb NOT NULL,
    correlation_id uuid NULL,
    causation_id uuid NULL,
    actor_kind text NULL,
    actor_id uuid NULL,
    organisation_id uuid NULL,
    recorded_at timestamptz NOT NULL,
    tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
    CONSTRAINT events_stream_version UNIQUE (stream_id, version)
);

-- Subscriptions read in commit-horizon order.
CREATE INDEX IF NOT EXISTS events_by_transaction ON {schema}.events (tx_id, seq);

-- The log is append-only for everyone: the application role lacks the privileges, and even the owner
-- meets this trigger.
CREATE OR REPLACE FUNCTION {schema}.refuse_event_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are immutable: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE OR REPLACE TRIGGER events_are_immutable BEFORE UPDATE OR DELETE ON {schema}.events
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.refuse_event_change();
CREATE OR REPLACE TRIGGER events_are_not_truncated BEFORE TRUNCATE ON {schema}.events
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.refuse_event_change();

CREATE TABLE IF NOT EXISTS {schema}.subscriptions (
    name text PRIMARY KEY,
    tx_id xid8 NOT NULL DEFAULT '0',
    seq bigint NOT NULL DEFAULT 0,
    state text NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'retrying', 'parked')),
    attempts integer NOT NULL DEFAULT 0,
    failing_seq bigint NULL,
    error text NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE OR REPLACE VIEW {schema}.subscription_status AS
SELECT s.name, s.tx_id, s.seq, s.state, s.attempts, s.error, s.updated_at,
       s.failing_seq, f.id AS failing_event_id, f.name AS failing_event_name, f.stream_id AS failing_stream_id
FROM {schema}.subscriptions s
LEFT JOIN {schema}.events f ON f.seq = s.failing_seq;

REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM PUBLIC;
GRANT SELECT, INSERT ON {schema}.events TO {app_role};
GRANT SELECT, INSERT, UPDATE ON {schema}.streams TO {app_role};
GRANT SELECT, INSERT, UPDATE ON {schema}.subscriptions TO {app_role};
GRANT SELECT ON {schema}.subscription_status TO {app_role};
GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {app_role};
