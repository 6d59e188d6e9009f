-- Indexes of tables and materialized views that do not implement a constraint, and that are
-- not the partitions of a parent's index. Their keys come from index_keys.sql.
SELECT n.nspname::text AS schema, c.relname::text AS relation,
       ic.relname::text AS name,
       i.indisunique AS is_unique,
       COALESCE({index_nulls_not_distinct}, false) AS nulls_not_distinct,
       am.amname::text AS method,
       COALESCE(ic.reloptions::text[], '{}') AS storage,
       CASE WHEN i.indpred IS NOT NULL THEN pg_get_expr(i.indpred, i.indrelid) END AS predicate,
       dsc.description AS comment
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_am am ON am.oid = ic.relam
LEFT JOIN pg_description dsc ON dsc.objoid = ic.oid AND dsc.classoid = 'pg_class'::regclass AND dsc.objsubid = 0
WHERE c.relkind IN ('r', 'p', 'm')
  AND NOT ic.relispartition
  AND NOT EXISTS (SELECT 1 FROM pg_constraint con
                  WHERE con.conrelid = i.indrelid AND con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x'))
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)'
