-- OpenIddict's stores (partner systems as applications, their tokens) and the client assertion replay store
-- (DESIGN.md §5 Identity). The openiddict_* tables are generated from SignInDbContext with
-- Database.GenerateCreateScript(), then made idempotent; keep the two in step. {schema} is the quoted schema name.
CREATE TABLE IF NOT EXISTS {schema}.openiddict_application (
    id text NOT NULL,
    application_type character varying(50),
    client_id character varying(100),
    client_secret text,
    client_type character varying(50),
    concurrency_token character varying(50),
    consent_type character varying(50),
    display_name text,
    display_names text,
    json_web_key_set text,
    permissions text,
    post_logout_redirect_uris text,
    properties text,
    redirect_uris text,
    requirements text,
    settings text,
    CONSTRAINT "PK_openiddict_application" PRIMARY KEY (id)
);

CREATE TABLE IF NOT EXISTS {schema}.openiddict_scope (
    id text NOT NULL,
    concurrency_token character varying(50),
    description text,
    descriptions text,
    display_name text,
    display_names text,
    name character varying(200),
    properties text,
    resources text,
    CONSTRAINT "PK_openiddict_scope" PRIMARY KEY (id)
);

CREATE TABLE IF NOT EXISTS {schema}.openiddict_authorization (
    id text NOT NULL,
    application_id text,
    concurrency_token character varying(50),
    creation_date timestamp with time zone,
    properties text,
    scopes text,
    status character varying(50),
    subject character varying(400),
    type character varying(50),
    CONSTRAINT "PK_openiddict_authorization" PRIMARY KEY (id),
    CONSTRAINT "FK_openiddict_authorization_openiddict_application_application~" FOREIGN KEY (application_id) REFERENCES {schema}.openiddict_application (id)
);

CREATE TABLE IF NOT EXISTS {schema}.openiddict_token (
    id text NOT NULL,
    application_id text,
    authorization_id text,
    concurrency_token character varying(50),
    creation_date timestamp with time zone,
    expiration_date timestamp with time zone,
    payload text,
    properties text,
    redemption_date timestamp with time zone,
    reference_id character varying(100),
    status character varying(50),
    subject character varying(400),
    type character varying(150),
    CONSTRAINT "PK_openiddict_token" PRIMARY KEY (id),
    CONSTRAINT "FK_openiddict_token_openiddict_application_application_id" FOREIGN KEY (application_id) REFERENCES {schema}.openiddict_application (id),
    CONSTRAINT "FK_openiddict_token_openiddict_authorization_authorization_id" FOREIGN KEY (authorization_id) REFERENCES {schema}.openiddict_authorization (id)
);

CREATE UNIQUE INDEX IF NOT EXISTS "IX_openiddict_application_client_id" ON {schema}.openiddict_application (client_id);

CREATE INDEX IF NOT EXISTS "IX_openiddict_authorization_application_id_status_subject_type" ON {schema}.openiddict_authorization (application_id, status, subject, type);

CREATE UNIQUE INDEX IF NOT EXISTS "IX_openiddict_scope_name" ON {schema}.openiddict_scope (name);

CREATE INDEX IF NOT EXISTS "IX_openiddict_token_application_id_status_subject_type" ON {schema}.openiddict_token (application_id, status, subject, type);

CREATE INDEX IF NOT EXISTS "IX_openiddict_token_authorization_id" ON {schema}.openiddict_token (authorization_id);

CREATE UNIQUE INDEX IF NOT EXISTS "IX_openiddict_token_reference_id" ON {schema}.openiddict_token (reference_id);

-- A client assertion's jti is spent once; rows live until the assertion would have expired anyway.
CREATE TABLE IF NOT EXISTS {schema}.partner_client_assertion_jti (
    client_id   text        NOT NULL,
    jti         text        NOT NULL,
    expires_at  timestamptz NOT NULL,
    PRIMARY KEY (client_id, jti)
);

CREATE INDEX IF NOT EXISTS partner_client_assertion_jti_expiry ON {schema}.partner_client_assertion_jti (expires_at);

-- Token rows are pruned on a schedule (TokenPruning), so the application role may delete them.
GRANT USAGE ON SCHEMA {schema} TO patchwork_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON {schema}.openiddict_application, {schema}.openiddict_authorization,
    {schema}.openiddict_scope, {schema}.openiddict_token, {schema}.partner_client_assertion_jti TO patchwork_app;
