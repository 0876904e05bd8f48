-- Each practitioner's notices (issue 6): ids and a position, never personal data. {schema} is replaced by the quoted
-- schema name; every statement is idempotent. The relay writes a notice once (its id is derived from the event, the
-- practitioner, the kind and the subject); the position orders a practitioner's notices for resynchronising.
CREATE TABLE IF NOT EXISTS {schema}.feed_notices (
    position         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id               uuid        NOT NULL UNIQUE,
    practitioner_id  uuid        NOT NULL,
    organisation_id  uuid        NOT NULL,
    kind             text        NOT NULL,
    client_id        uuid        NOT NULL,
    subject_id       uuid,
    event_sequence   bigint      NOT NULL,
    at               timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS feed_notices_by_practitioner ON {schema}.feed_notices (practitioner_id, position);
CREATE INDEX IF NOT EXISTS feed_notices_by_client ON {schema}.feed_notices (client_id, practitioner_id, subject_id, position);

GRANT USAGE ON SCHEMA {schema} TO patchwork_app;
GRANT SELECT, INSERT, UPDATE ON {schema}.feed_notices TO patchwork_app;
