-- Client identity, kept out of the event log so that it can be erased (DESIGN.md §6).
-- Identity is stored only as DataProtection ciphertext; search uses keyed hashes (blind indexes).
-- {schema} is replaced by the quoted schema name; every statement is idempotent.
CREATE TABLE IF NOT EXISTS {schema}.client_identity (
    client_id      uuid        PRIMARY KEY,
    protected      bytea       NOT NULL,
    nhs_hash       bytea,
    name_dob_hash  bytea       NOT NULL,
    postcode_hash  bytea,
    registered_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS client_identity_nhs ON {schema}.client_identity (nhs_hash) WHERE nhs_hash IS NOT NULL;
CREATE INDEX IF NOT EXISTS client_identity_name_dob ON {schema}.client_identity (name_dob_hash);
CREATE INDEX IF NOT EXISTS client_identity_postcode ON {schema}.client_identity (postcode_hash) WHERE postcode_hash IS NOT NULL;

-- Each agency's own reference for the client, hashed with the organisation so one agency's number finds nothing for another.
CREATE TABLE IF NOT EXISTS {schema}.client_local_reference (
    client_id        uuid  NOT NULL REFERENCES {schema}.client_identity (client_id) ON DELETE CASCADE,
    organisation_id  uuid  NOT NULL,
    reference_hash   bytea NOT NULL,
    PRIMARY KEY (client_id, organisation_id)
);
CREATE INDEX IF NOT EXISTS client_local_reference_hash ON {schema}.client_local_reference (reference_hash);

-- Free-text justifications of break-glass grants and requests to share without consent, under the grant's or basis's
-- id (the event names it): DataProtection ciphertext, erased with the client's identity.
CREATE TABLE IF NOT EXISTS {schema}.client_justification (
    id           uuid        PRIMARY KEY,
    client_id    uuid        NOT NULL,
    protected    bytea       NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS client_justification_client ON {schema}.client_justification (client_id);

-- The DataProtection key ring; each key's XML is itself encrypted (ProtectKeysWithCertificate) before it lands here.
CREATE TABLE IF NOT EXISTS {schema}.data_protection_keys (
    friendly_name  text        PRIMARY KEY,
    xml            text        NOT NULL,
    stored_at      timestamptz NOT NULL DEFAULT now()
);

GRANT USAGE ON SCHEMA {schema} TO patchwork_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON {schema}.client_identity, {schema}.client_local_reference TO patchwork_app;
GRANT SELECT, INSERT, DELETE ON {schema}.client_justification TO patchwork_app;
GRANT SELECT, INSERT ON {schema}.data_protection_keys TO patchwork_app;
