-- Read models kept by inline projections, in the append's transaction ({schema} is the quoted schema name).
-- The client's state is Marten's document (mt_doc_client_state, ClientStateProjection). client_team, which held a copy of
-- each client's events, is gone: the log has them all, and a start with no client state rebuilds it from the log.
DROP TABLE IF EXISTS {schema}.client_team;

-- The partnership is Marten's document too (mt_doc_partnership_state, PartnershipStateProjection). The partnership table,
-- which held a copy of every partnership event, is gone; a start with no partnership document rebuilds it from the log.
DROP TABLE IF EXISTS {schema}.partnership;

GRANT USAGE ON SCHEMA {schema} TO patchwork_app;

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
