-- Partner clients, their assertion replay store and our token signing keys (DESIGN.md §5 Identity).
-- {schema} is replaced by the quoted schema name; every statement is idempotent.
CREATE TABLE IF NOT EXISTS {schema}.partner_client (
    client_id        uuid        PRIMARY KEY,
    organisation_id  uuid        NOT NULL,
    display_name     text        NOT NULL,
    allowed_scopes   text[]      NOT NULL,
    public_jwks      jsonb       NOT NULL DEFAULT '{"keys":[]}',
    secret_hash      text,
    disabled         boolean     NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL
);

-- A client assertion's jti is spent once; rows live until the assertion would have expired anyway.
CREATE TABLE IF NOT EXISTS {schema}.partner_client_assertion_jti (
    client_id   uuid        NOT NULL,
    jti         text        NOT NULL,
    expires_at  timestamptz NOT NULL,
    PRIMARY KEY (client_id, jti)
);
CREATE INDEX IF NOT EXISTS partner_client_assertion_jti_expiry ON {schema}.partner_client_assertion_jti (expires_at);

-- Our signing keys: published from created_at, signing from signs_from, published until signs_until plus
-- the access token lifetime. The private key is DataProtection ciphertext, never plain PKCS#8.
CREATE TABLE IF NOT EXISTS {schema}.token_signing_key (
    key_id                 text        PRIMARY KEY,
    algorithm              text        NOT NULL,
    public_jwk             jsonb       NOT NULL,
    protected_private_key  bytea       NOT NULL,
    created_at             timestamptz NOT NULL,
    signs_from             timestamptz NOT NULL,
    signs_until            timestamptz NOT NULL
);

GRANT USAGE ON SCHEMA {schema} TO patchwork_app;
GRANT SELECT, INSERT, UPDATE ON {schema}.partner_client TO patchwork_app;
GRANT SELECT, INSERT, DELETE ON {schema}.partner_client_assertion_jti, {schema}.token_signing_key TO patchwork_app;
