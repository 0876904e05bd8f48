-- Every append rewrites its stream's row; free space on each page lets PostgreSQL do that as a HOT update,
-- without touching the primary key index.
ALTER TABLE {schema}.streams SET (fillfactor = 50);
