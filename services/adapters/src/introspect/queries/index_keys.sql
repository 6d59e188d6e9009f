-- The columns of the indexes listed by indexes.sql, one row per position: key columns or
-- expressions (with a non-default operator class, a collation other than the column's, and
-- the sort options), then INCLUDE columns.
SELECT n.nspname::text AS schema, c.relname::text AS relation, ic.relname::text AS index,
       k.pos <= i.indnkeyatts AS is_key,
       CASE WHEN i.indkey[k.pos - 1] <> 0 THEN quote_ident(ta.attname)
            ELSE pg_get_indexdef(i.indexrelid, k.pos, false) END AS expression,
       CASE WHEN k.pos <= i.indnkeyatts AND NOT oc.opcdefault
            THEN quote_ident(ocn.nspname) || '.' || quote_ident(oc.opcname) END AS opclass,
       CASE WHEN k.pos <= i.indnkeyatts AND i.indcollation[k.pos - 1] <> 0
                 AND i.indcollation[k.pos - 1] <> COALESCE(ta.attcollation, 100)
            THEN quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END AS collation,
       CASE WHEN k.pos <= i.indnkeyatts THEN i.indoption[k.pos - 1]::int ELSE 0 END AS option
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL generate_series(1, i.indnatts) AS k(pos)
LEFT JOIN pg_attribute ta ON ta.attrelid = i.indrelid AND ta.attnum = i.indkey[k.pos - 1]
LEFT JOIN pg_opclass oc ON oc.oid = i.indclass[k.pos - 1]
LEFT JOIN pg_namespace ocn ON ocn.oid = oc.opcnamespace
LEFT JOIN pg_collation co ON co.oid = i.indcollation[k.pos - 1]
LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
WHERE c.relkind IN ('r', 'p', 'm')
  AND NOT ic.relispartition
  AND NOT EXISTS (SELECT 1 FROM pg_constraint con
                  WHERE con.conrelid = i.indrelid AND con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x'))
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)'
ORDER BY 1, 2, 3, k.pos
