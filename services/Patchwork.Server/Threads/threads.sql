-- Message threads (issue 8). {schema} is replaced by the quoted schema name; every statement is idempotent.
-- The log holds thread and message events with ids only; bodies live here, sealed with a key per client (AES-GCM),
-- each key wrapped by DataProtection. Deleting a client's key row makes every body of theirs unreadable (DESIGN.md §6).
CREATE TABLE IF NOT EXISTS {schema}.threads (
    id                          uuid        PRIMARY KEY,
    client_id                   uuid        NOT NULL,
    starter_involvement         uuid        NOT NULL,
    participant_practitioners   uuid[]      NOT NULL,
    participant_organisations   uuid[]      NOT NULL,
    started_at                  timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS threads_by_client ON {schema}.threads (client_id, started_at);

CREATE TABLE IF NOT EXISTS {schema}.thread_messages (
    id                   uuid        PRIMARY KEY,
    thread_id            uuid        NOT NULL,
    client_id            uuid        NOT NULL,
    author_practitioner  uuid        NOT NULL,
    author_organisation  uuid        NOT NULL,
    posted_at            timestamptz NOT NULL,
    withdrawn_at         timestamptz,
    sealed               bytea
);
CREATE INDEX IF NOT EXISTS thread_messages_by_thread ON {schema}.thread_messages (thread_id, id);

CREATE TABLE IF NOT EXISTS {schema}.thread_receipts (
    message_id       uuid        NOT NULL,
    practitioner_id  uuid        NOT NULL,
    read_at          timestamptz NOT NULL,
    PRIMARY KEY (message_id, practitioner_id)
);

CREATE TABLE IF NOT EXISTS {schema}.client_message_keys (
    client_id    uuid        PRIMARY KEY,
    wrapped_key  bytea       NOT NULL,
    created_at   timestamptz NOT NULL
);

GRANT USAGE ON SCHEMA {schema} TO patchwork_app;
GRANT SELECT, INSERT ON {schema}.threads TO patchwork_app;
GRANT SELECT, INSERT, UPDATE ON {schema}.thread_messages TO patchwork_app;
GRANT SELECT, INSERT ON {schema}.thread_receipts TO patchwork_app;
GRANT SELECT, INSERT, DELETE ON {schema}.client_message_keys TO patchwork_app;
