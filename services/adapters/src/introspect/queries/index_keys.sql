-- The columns of the indexes listed by indexes.sql, one row per position: key columns or
-- expressions (with a non-default operator class, a collation other than the column's, and
-- the sort options), then INCLUDE columns.
-- (Column names are looked up one index row at a time: a hash of all of pg_attribute costs
-- more than the few thousand lookups.)
SELECT n.nspname::text AS schema, c.relname::text AS relation, ic.relname::text AS index,
       k.ord::int AS position,
       k.ord::int <= i.indnkeyatts AS is_key,
       CASE WHEN k.attnum <> 0 THEN quote_ident(ta.attname)
            ELSE pg_get_indexdef(i.indexrelid, k.ord::int, false) END AS expression,
       CASE WHEN k.ord::int <= i.indnkeyatts AND NOT oc.opcdefault
            THEN quote_ident(ocn.nspname) || '.' || quote_ident(oc.opcname) END AS opclass,
       CASE WHEN k.ord::int <= i.indnkeyatts AND i.indcollation[k.ord::int - 1] <> 0
                 AND i.indcollation[k.ord::int - 1] <> COALESCE(ta.attcollation, 100)
            THEN quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END AS collation,
       CASE WHEN k.ord::int <= i.indnkeyatts THEN i.indoption[k.ord::int - 1]::int ELSE 0 END AS option
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
LEFT JOIN LATERAL (SELECT a.attname, a.attcollation FROM pg_attribute a
                   WHERE a.attrelid = i.indrelid AND a.attnum = k.attnum LIMIT 1) ta ON true
LEFT JOIN pg_opclass oc ON oc.oid = i.indclass[k.ord::int - 1]
LEFT JOIN pg_namespace ocn ON ocn.oid = oc.opcnamespace
LEFT JOIN pg_collation co ON co.oid = i.indcollation[k.ord::int - 1]
LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
WHERE c.relkind IN ('r', 'p', 'm')
  AND NOT ic.relispartition
  AND NOT EXISTS (SELECT 1 FROM pg_constraint con
                  WHERE con.conrelid = i.indrelid AND con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x'))
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)'
