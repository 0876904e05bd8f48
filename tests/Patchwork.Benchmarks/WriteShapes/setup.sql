-- Tables shaped like the write path's: the stream claim, the event, the client_team row (events appended to a jsonb
-- array) and the audit entry. In a schema of its own, dropped afterwards.
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS write_shapes CASCADE;
CREATE SCHEMA write_shapes;
CREATE TABLE write_shapes.streams (id uuid PRIMARY KEY, version bigint NOT NULL);
CREATE TABLE write_shapes.events (seq bigserial PRIMARY KEY, id uuid NOT NULL, stream_id uuid NOT NULL, data jsonb NOT NULL, recorded_at timestamptz NOT NULL);
CREATE TABLE write_shapes.client_team (client_id uuid PRIMARY KEY, events jsonb NOT NULL, version bigint NOT NULL);
CREATE TABLE write_shapes.audit_entries (id uuid PRIMARY KEY, at timestamptz NOT NULL, action text NOT NULL, client_id uuid);
