-- The size of every table and materialized view, from the catalog's statistics: one query
-- for the whole database.
SELECT n.nspname::text AS schema, c.relname::text AS name,
       c.reltuples::float8 AS rows, pg_total_relation_size(c.oid) AS bytes
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)'
