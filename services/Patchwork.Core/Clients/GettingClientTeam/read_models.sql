-- Read models kept by inline projections, in the append's transaction ({schema} is the quoted schema name).
-- client_team: one row per client holding the client's sharing events, so "the team of C as seen by V" is one
-- primary-key read followed by the access policy in memory.
CREATE TABLE IF NOT EXISTS {schema}.client_team (
    client_id  uuid   PRIMARY KEY,
    events     jsonb  NOT NULL,
    version    bigint NOT NULL
);

-- partnership: the one row of partnership-wide facts (organisations, agreements, categories); readers cache it by version.
CREATE TABLE IF NOT EXISTS {schema}.partnership (
    id       smallint PRIMARY KEY CHECK (id = 1),
    events   jsonb    NOT NULL,
    version  bigint   NOT NULL
);

-- "My clients" looks for a practitioner's involvements by containment in the events; without this index every home page
-- load scanned every row's jsonb.
CREATE INDEX IF NOT EXISTS client_team_events ON {schema}.client_team USING gin (events jsonb_path_ops);

GRANT USAGE ON SCHEMA {schema} TO patchwork_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON {schema}.client_team, {schema}.partnership TO patchwork_app;

-- partner_told: which involvements each partner organisation has been told it can see, so that "no longer shared"
-- goes only to those that were told, and a withdrawal caught up before delivery tells nobody anything.
CREATE TABLE IF NOT EXISTS {schema}.partner_told (
    organisation_id  uuid NOT NULL,
    involvement_id   uuid NOT NULL,
    client_id        uuid NOT NULL,
    PRIMARY KEY (organisation_id, involvement_id)
);
CREATE INDEX IF NOT EXISTS partner_told_client ON {schema}.partner_told (client_id);
GRANT SELECT, INSERT, DELETE ON {schema}.partner_told TO patchwork_app;

-- partner_inbox: the commands each partner organisation's inbound endpoint has handled, by AMQP message id; written by
-- an inline projection in the same transaction as the command's events, so a redelivered command changes nothing.
CREATE TABLE IF NOT EXISTS {schema}.partner_inbox (
    organisation_id  uuid        NOT NULL,
    message_id       uuid        NOT NULL,
    handled_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organisation_id, message_id)
);
GRANT SELECT, INSERT ON {schema}.partner_inbox TO patchwork_app;
