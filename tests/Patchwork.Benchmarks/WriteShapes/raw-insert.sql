-- P1's raw baseline: one single-row INSERT, committed on its own (one round trip).
INSERT INTO write_shapes.events (id, stream_id, data, recorded_at) VALUES (gen_random_uuid(), gen_random_uuid(), '{"a":1}', now());
