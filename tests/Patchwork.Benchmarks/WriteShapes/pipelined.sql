-- The same statements, the transaction's sent as one pipeline: two round trips per request.
\set c random(1, 1280)
SELECT version FROM write_shapes.streams WHERE id = md5(:c::text)::uuid;
\startpipeline
BEGIN;
INSERT INTO write_shapes.streams (id, version) VALUES (md5(:c::text)::uuid, 1) ON CONFLICT (id) DO UPDATE SET version = write_shapes.streams.version + 1 RETURNING version;
INSERT INTO write_shapes.events (id, stream_id, data, recorded_at) VALUES (gen_random_uuid(), md5(:c::text)::uuid, '{"a":1}', now());
INSERT INTO write_shapes.client_team (client_id, events, version) VALUES (md5(:c::text)::uuid, '[{"a":1}]', 1) ON CONFLICT (client_id) DO UPDATE SET events = write_shapes.client_team.events || excluded.events, version = write_shapes.client_team.version + 1;
INSERT INTO write_shapes.audit_entries (id, at, action, client_id) VALUES (gen_random_uuid(), now(), 'involvement.record', md5(:c::text)::uuid);
COMMIT;
SELECT pg_notify('write_shapes', '');
\endpipeline
