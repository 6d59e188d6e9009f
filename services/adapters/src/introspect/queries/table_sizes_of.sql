-- The sizes of the tables named by $1 (schemas) and $2 (names), as table_sizes.sql reads
-- them for every table: found by name, each with its TOAST table and indexes looked up by
-- oid (a plan sizes a few tables of a database that may have thousands). A name that is
-- not a table or materialized view has no row.
SELECT n.nspname::text AS schema, c.relname::text AS name,
       c.reltuples::float8 AS rows,
       ((c.relpages::bigint + COALESCE(t.relpages, 0)::bigint
         + COALESCE((SELECT sum(i.relpages) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
                     WHERE x.indrelid = c.oid), 0)::bigint)
        * current_setting('block_size')::bigint) AS bytes
FROM unnest($1::text[], $2::text[]) AS wanted(schema, name)
JOIN pg_namespace n ON n.nspname = wanted.schema::name
JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = wanted.name::name
LEFT JOIN pg_class t ON t.oid = c.reltoastrelid
WHERE c.relkind IN ('r', 'p', 'm')
