-- Table constraints: primary key, unique, check, exclusion, foreign key, by the table's oid
-- (the builder finds the table among those it read; a constraint is in its table's schema).
-- Constraints cloned onto partitions from their parent (conparentid) and inherited checks
-- are the parent's. The constrained columns come as numbers (the builder names them from the
-- columns it read), and so do the columns a foreign key references, with the referenced
-- table's oid (named here only for a table of an extension, which is not read); the snapshot
-- orders constraints by name. The definition is the server's only where the builder cannot
-- write it as pg_get_constraintdef does: checks and exclusions (expressions), keys with
-- INCLUDE columns, ON DELETE SET NULL (columns), and every constraint of servers newer than
-- the builder knows; the server's function costs a catalog lookup per name on a fresh
-- connection.
SELECT con.conrelid AS relation,
       con.conname::text AS name, con.contype::text AS kind,
       CASE WHEN {client_definitions}
                 AND ((con.contype IN ('p', 'u') AND ci.indnatts = ci.indnkeyatts)
                      OR (con.contype = 'f' AND {no_delete_set_columns}))
            THEN NULL ELSE pg_get_constraintdef(con.oid) END AS definition,
       CASE WHEN con.contype = 'c' THEN pg_get_expr(con.conbin, con.conrelid) END AS expression,
       con.conkey AS column_numbers,
       con.confrelid AS ref_oid, con.confkey AS ref_column_numbers,
       -- (a table of an extension: its schema, name and the referenced columns' names)
       CASE WHEN con.contype = 'f' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.refclassid = 'pg_extension'::regclass
                                               AND d.classid = 'pg_class'::regclass
                                               AND d.objid = con.confrelid AND d.deptype = 'e')
            THEN ARRAY[(SELECT fn.nspname::text FROM pg_class fc JOIN pg_namespace fn ON fn.oid = fc.relnamespace
                        WHERE fc.oid = con.confrelid),
                       (SELECT fc.relname::text FROM pg_class fc WHERE fc.oid = con.confrelid)]
                 || ARRAY(SELECT (SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = con.confrelid AND a.attnum = k.attnum)
                          FROM unnest(con.confkey) WITH ORDINALITY k(attnum, i) ORDER BY k.i) END AS ref_names,
       con.confupdtype::text AS on_update, con.confdeltype::text AS on_delete,
       con.confmatchtype::text AS match_type,
       con.condeferrable AS deferrable, con.condeferred AS initially_deferred,
       con.convalidated AS validated, con.connoinherit AS no_inherit,
       COALESCE({nulls_not_distinct}, false) AS nulls_not_distinct,
       dsc.description AS comment
FROM pg_constraint con
JOIN pg_namespace n ON n.oid = con.connamespace
LEFT JOIN pg_index ci ON ci.indexrelid = con.conindid
LEFT JOIN pg_description dsc ON dsc.objoid = con.oid AND dsc.classoid = 'pg_constraint'::regclass AND dsc.objsubid = 0
WHERE con.contype IN ('p', 'u', 'c', 'x', 'f')
  AND con.conrelid <> 0
  AND con.conparentid = 0
  AND (con.contype <> 'c' OR con.conislocal)
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)'
