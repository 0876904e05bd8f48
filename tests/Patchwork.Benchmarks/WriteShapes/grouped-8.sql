-- Eight requests' writes grouped: each request still reads its client's row, then one transaction of multi-row
-- statements, sent as one pipeline, writes all eight. Run with 4 clients, so 32 requests are in flight; records/s is 8 × tps.
\set c random(1, 1000)
SELECT version FROM write_shapes.streams WHERE id = md5((:c + 0)::text)::uuid;
SELECT version FROM write_shapes.streams WHERE id = md5((:c + 1000)::text)::uuid;
SELECT version FROM write_shapes.streams WHERE id = md5((:c + 2000)::text)::uuid;
SELECT version FROM write_shapes.streams WHERE id = md5((:c + 3000)::text)::uuid;
SELECT version FROM write_shapes.streams WHERE id = md5((:c + 4000)::text)::uuid;
SELECT version FROM write_shapes.streams WHERE id = md5((:c + 5000)::text)::uuid;
SELECT version FROM write_shapes.streams WHERE id = md5((:c + 6000)::text)::uuid;
SELECT version FROM write_shapes.streams WHERE id = md5((:c + 7000)::text)::uuid;
\startpipeline
BEGIN;
INSERT INTO write_shapes.streams (id, version) VALUES (md5((:c + 0)::text)::uuid, 1), (md5((:c + 1000)::text)::uuid, 1), (md5((:c + 2000)::text)::uuid, 1), (md5((:c + 3000)::text)::uuid, 1), (md5((:c + 4000)::text)::uuid, 1), (md5((:c + 5000)::text)::uuid, 1), (md5((:c + 6000)::text)::uuid, 1), (md5((:c + 7000)::text)::uuid, 1) ON CONFLICT (id) DO UPDATE SET version = write_shapes.streams.version + 1 RETURNING version;
INSERT INTO write_shapes.events (id, stream_id, data, recorded_at) VALUES (gen_random_uuid(), md5((:c + 0)::text)::uuid, '{"a":1}', now()), (gen_random_uuid(), md5((:c + 1000)::text)::uuid, '{"a":1}', now()), (gen_random_uuid(), md5((:c + 2000)::text)::uuid, '{"a":1}', now()), (gen_random_uuid(), md5((:c + 3000)::text)::uuid, '{"a":1}', now()), (gen_random_uuid(), md5((:c + 4000)::text)::uuid, '{"a":1}', now()), (gen_random_uuid(), md5((:c + 5000)::text)::uuid, '{"a":1}', now()), (gen_random_uuid(), md5((:c + 6000)::text)::uuid, '{"a":1}', now()), (gen_random_uuid(), md5((:c + 7000)::text)::uuid, '{"a":1}', now());
INSERT INTO write_shapes.client_team (client_id, events, version) VALUES (md5((:c + 0)::text)::uuid, '[{"a":1}]', 1), (md5((:c + 1000)::text)::uuid, '[{"a":1}]', 1), (md5((:c + 2000)::text)::uuid, '[{"a":1}]', 1), (md5((:c + 3000)::text)::uuid, '[{"a":1}]', 1), (md5((:c + 4000)::text)::uuid, '[{"a":1}]', 1), (md5((:c + 5000)::text)::uuid, '[{"a":1}]', 1), (md5((:c + 6000)::text)::uuid, '[{"a":1}]', 1), (md5((:c + 7000)::text)::uuid, '[{"a":1}]', 1) ON CONFLICT (client_id) DO UPDATE SET events = write_shapes.client_team.events || excluded.events, version = write_shapes.client_team.version + 1;
INSERT INTO write_shapes.audit_entries (id, at, action, client_id) VALUES (gen_random_uuid(), now(), 'involvement.record', md5((:c + 0)::text)::uuid), (gen_random_uuid(), now(), 'involvement.record', md5((:c + 1000)::text)::uuid), (gen_random_uuid(), now(), 'involvement.record', md5((:c + 2000)::text)::uuid), (gen_random_uuid(), now(), 'involvement.record', md5((:c + 3000)::text)::uuid), (gen_random_uuid(), now(), 'involvement.record', md5((:c + 4000)::text)::uuid), (gen_random_uuid(), now(), 'involvement.record', md5((:c + 5000)::text)::uuid), (gen_random_uuid(), now(), 'involvement.record', md5((:c + 6000)::text)::uuid), (gen_random_uuid(), now(), 'involvement.record', md5((:c + 7000)::text)::uuid);
COMMIT;
SELECT pg_notify('write_shapes', '');
\endpipeline
