-- The audit trail and the API's idempotency keys (issue 5). {schema} is replaced by the quoted schema name;
-- every statement is idempotent.

-- Append-only: the application role may insert and read entries, never change or remove them.
CREATE TABLE IF NOT EXISTS {schema}.audit_entries (
    id                 uuid        PRIMARY KEY,
    at                 timestamptz NOT NULL,
    practitioner_id    uuid,
    partner_system_id  uuid,
    organisation_id    uuid        NOT NULL,
    action             text        NOT NULL,
    client_id          uuid,
    channel            text        NOT NULL CHECK (channel IN ('api', 'bus', 'hub', 'web')),
    purpose            text,
    outcome            text        NOT NULL CHECK (outcome IN ('allowed', 'denied')),
    rule               text,
    correlation_id     uuid,
    CHECK ((practitioner_id IS NULL) <> (partner_system_id IS NULL))
);
CREATE INDEX IF NOT EXISTS audit_entries_by_client ON {schema}.audit_entries (client_id, id DESC);
-- Issue 18: the organisations whose records an access disclosed to another (a subject access export); their DPOs see it.
ALTER TABLE {schema}.audit_entries ADD COLUMN IF NOT EXISTS disclosed_organisations uuid[];

-- Issue 24: reads through the FHIR door are audited on channel 'fhir'. The column's first check was unnamed; it is replaced by a
-- named one, once.
DO $$
DECLARE unnamed text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = '{schema}.audit_entries'::regclass AND conname = 'audit_entries_channel_known') THEN
        SELECT conname INTO unnamed FROM pg_constraint
         WHERE conrelid = '{schema}.audit_entries'::regclass AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%channel%';
        IF unnamed IS NOT NULL THEN
            EXECUTE format('ALTER TABLE {schema}.audit_entries DROP CONSTRAINT %I', unnamed);
        END IF;
        ALTER TABLE {schema}.audit_entries ADD CONSTRAINT audit_entries_channel_known CHECK (channel IN ('api', 'bus', 'hub', 'web', 'fhir'));
    END IF;
END $$;

-- One row per (caller, key): the request's hash and, once it succeeded, the response to replay.
CREATE TABLE IF NOT EXISTS {schema}.idempotency_keys (
    caller        text        NOT NULL,
    key           text        NOT NULL,
    request_hash  bytea       NOT NULL,
    status        integer,
    content_type  text,
    location      text,
    etag          text,
    body          bytea,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (caller, key)
);
-- Issue 19: completed keys expire (completed_at + Api:IdempotencyKeyLifetime), a replay carries the original
-- Cache-Control, and a response that held credentials is remembered as made (withheld) but never stored.
ALTER TABLE {schema}.idempotency_keys ADD COLUMN IF NOT EXISTS completed_at timestamptz;
ALTER TABLE {schema}.idempotency_keys ADD COLUMN IF NOT EXISTS cache_control text;
ALTER TABLE {schema}.idempotency_keys ADD COLUMN IF NOT EXISTS withheld boolean NOT NULL DEFAULT false;
-- Rows stored before this: credentials (a partner system's 201) are dropped, the rest expire a lifetime after they were made.
DELETE FROM {schema}.idempotency_keys WHERE completed_at IS NULL AND position('"clientSecret"'::bytea IN body) > 0;
UPDATE {schema}.idempotency_keys SET completed_at = created_at WHERE status IS NOT NULL AND completed_at IS NULL;
CREATE INDEX IF NOT EXISTS idempotency_keys_completed_at ON {schema}.idempotency_keys (completed_at);

-- The purpose a practitioner stated for reading one client through the pages (DESIGN.md §1 principle 3), kept for a few
-- hours so the client page, its tasks and the live re-read carry it; one row per (practitioner, client), expired rows
-- are ignored and removed by the next write of that practitioner. The audit trail, not this table, is the record.
CREATE TABLE IF NOT EXISTS {schema}.stated_purposes (
    practitioner_id  uuid        NOT NULL,
    client_id        uuid        NOT NULL,
    purpose          text        NOT NULL,
    expires_at       timestamptz NOT NULL,
    PRIMARY KEY (practitioner_id, client_id)
);

GRANT USAGE ON SCHEMA {schema} TO patchwork_app;
REVOKE ALL ON {schema}.audit_entries FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON {schema}.audit_entries FROM patchwork_app;
GRANT SELECT, INSERT ON {schema}.audit_entries TO patchwork_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON {schema}.idempotency_keys TO patchwork_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON {schema}.stated_purposes TO patchwork_app;
