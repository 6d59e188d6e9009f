-- Sequences with their options and the column owning them (serial: 'a'; identity: 'i'), by
-- the table's oid and the column's number (the builder names them from what it read), named
-- here for a table of an extension (which is not read).
SELECT n.nspname::text AS schema, c.relname::text AS name,
       format_type(s.seqtypid, NULL) AS data_type, s.seqstart, s.seqincrement, s.seqmin, s.seqmax,
       s.seqcache, s.seqcycle,
       own.deptype, own.relation AS owner_oid, own.column_number AS owner_column_number,
       -- (evaluated only for a table of an extension: a join would read every column of all)
       CASE WHEN EXISTS (SELECT 1 FROM pg_depend e
                         WHERE e.refclassid = 'pg_extension'::regclass AND e.classid = 'pg_class'::regclass AND e.objid = own.relation AND e.deptype = 'e')
            THEN ARRAY[(SELECT tn.nspname::text FROM pg_class tc JOIN pg_namespace tn ON tn.oid = tc.relnamespace
                        WHERE tc.oid = own.relation),
                       (SELECT tc.relname::text FROM pg_class tc WHERE tc.oid = own.relation),
                       (SELECT ta.attname::text FROM pg_attribute ta
                        WHERE ta.attrelid = own.relation AND ta.attnum = own.column_number)] END AS owner_names,
       dsc.description AS comment,
       CASE WHEN c.relacl IS NOT NULL THEN c.relacl::text[] END AS acl,
       pg_get_userbyid(c.relowner)::text AS owner
FROM pg_sequence s
JOIN pg_class c ON c.oid = s.seqrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN LATERAL (
    SELECT d.deptype::text AS deptype, d.refobjid AS relation, d.refobjsubid AS column_number
    FROM pg_depend d
    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
      AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
    LIMIT 1
) own ON true
LEFT JOIN pg_description dsc ON dsc.objoid = c.oid AND dsc.classoid = 'pg_class'::regclass AND dsc.objsubid = 0
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.refclassid = 'pg_extension'::regclass AND d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
