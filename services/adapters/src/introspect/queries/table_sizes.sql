-- The size of every table and materialized view, from the catalog's statistics: one query
-- for the whole database. Pages come from pg_class (the table, its TOAST table and its
-- indexes), never from pg_total_relation_size, which locks each relation and so waits behind
-- any migration that holds one (a plan or drift check must not hang on a busy database).
-- The indexes' pages are summed in one pass over pg_index, not looked up table by table.
SELECT n.nspname::text AS schema, c.relname::text AS name,
       c.reltuples::float8 AS rows,
       ((c.relpages::bigint + COALESCE(t.relpages, 0)::bigint + COALESCE(ix.pages, 0)::bigint)
        * current_setting('block_size')::bigint) AS bytes
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class t ON t.oid = c.reltoastrelid
LEFT JOIN (SELECT x.indrelid, sum(i.relpages) AS pages FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
           GROUP BY x.indrelid) ix ON ix.indrelid = c.oid
WHERE c.relkind IN ('r', 'p', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)'
