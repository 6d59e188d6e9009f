-- What PostgreSQL recorded that objects depend on (pg_depend), for the diff and the plan's
-- order: views and materialized views (through their rewrite rule), functions, column
-- defaults and generation expressions, checks of tables and domains, indexes, triggers and
-- policies, with the relations, columns, types, functions and collations they use outside
-- the system schemas. What a check or an index has of its own table is left out (they go
-- with it), and so is what refers to itself (a view to its own rule, a default to its column,
-- a domain's check to the domain). Arrays count as their element type.
SELECT DISTINCT
       CASE
           WHEN rw.oid IS NOT NULL THEN 'view'
           WHEN p.oid IS NOT NULL THEN 'function'
           WHEN ad.oid IS NOT NULL THEN 'column'
           WHEN co.contypid <> 0 THEN 'domain_check'
           WHEN co.oid IS NOT NULL THEN 'check'
           WHEN ix.indexrelid IS NOT NULL THEN 'index'
           WHEN tg.oid IS NOT NULL THEN 'trigger'
           ELSE 'policy'
       END AS kind,
       dn.nspname::text AS schema,
       COALESCE(p.proname, dt.typname, dc.relname)::text AS name,
       COALESCE(da.attname::text, co.conname::text, ic.relname::text, tg.tgname::text, po.polname::text,
                CASE WHEN p.oid IS NOT NULL THEN pg_get_function_identity_arguments(p.oid) END) AS part,
       CASE
           WHEN rt.oid IS NOT NULL OR rc.relkind = 'c' THEN 'type'
           WHEN ra.attname IS NOT NULL THEN 'column'
           WHEN rc.oid IS NOT NULL THEN 'relation'
           WHEN rp.oid IS NOT NULL THEN 'function'
           ELSE 'collation'
       END AS ref_kind,
       rn.nspname::text AS ref_schema,
       COALESCE(rc.relname, rt.typname, rp.proname, rl.collname)::text AS ref_name,
       ra.attname::text AS ref_column
FROM (SELECT * FROM pg_depend d
      WHERE d.deptype IN ('n', 'a')
        AND d.classid IN ('pg_rewrite'::regclass, 'pg_proc'::regclass, 'pg_attrdef'::regclass, 'pg_constraint'::regclass,
                          'pg_class'::regclass, 'pg_trigger'::regclass, 'pg_policy'::regclass)
        AND d.refclassid IN ('pg_class'::regclass, 'pg_type'::regclass, 'pg_proc'::regclass, 'pg_collation'::regclass)
        -- What an index or a constraint has of its own table's columns is recorded as 'a'
        -- (what they use elsewhere as 'n'): left out before the joins, the bulk of pg_depend.
        AND NOT (d.deptype = 'a' AND d.refclassid = 'pg_class'::regclass
                 AND d.classid IN ('pg_class'::regclass, 'pg_constraint'::regclass))
        -- A default's own column ('a'), and what the constraints other than checks use
        -- (foreign keys: the referenced columns and key), are most of the rest.
        AND NOT (d.deptype = 'a' AND d.classid = 'pg_attrdef'::regclass)
        AND (d.classid <> 'pg_constraint'::regclass
             OR d.objid IN (SELECT c.oid FROM pg_constraint c WHERE c.contype = 'c'))
        -- PostgreSQL's own objects (made by initdb, below FirstNormalObjectId) are in the
        -- system schemas left out below: their rows (views of information_schema on
        -- pg_catalog's tables, the bulk of what is left) go before the joins.
        AND d.objid >= 16384 AND d.refobjid >= 16384
      OFFSET 0) d
LEFT JOIN pg_rewrite rw ON d.classid = 'pg_rewrite'::regclass AND rw.oid = d.objid
LEFT JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND p.oid = d.objid
LEFT JOIN pg_attrdef ad ON d.classid = 'pg_attrdef'::regclass AND ad.oid = d.objid
LEFT JOIN pg_constraint co ON d.classid = 'pg_constraint'::regclass AND co.oid = d.objid AND co.contype = 'c'
LEFT JOIN pg_index ix ON d.classid = 'pg_class'::regclass AND ix.indexrelid = d.objid
LEFT JOIN pg_class ic ON ic.oid = ix.indexrelid
LEFT JOIN pg_trigger tg ON d.classid = 'pg_trigger'::regclass AND tg.oid = d.objid AND NOT tg.tgisinternal
LEFT JOIN pg_policy po ON d.classid = 'pg_policy'::regclass AND po.oid = d.objid
LEFT JOIN pg_class dc ON dc.oid = COALESCE(rw.ev_class, ad.adrelid, NULLIF(co.conrelid, 0), ix.indrelid, tg.tgrelid, po.polrelid)
LEFT JOIN pg_type dt ON dt.oid = NULLIF(co.contypid, 0)
LEFT JOIN pg_attribute da ON da.attrelid = ad.adrelid AND da.attnum = ad.adnum
JOIN pg_namespace dn ON dn.oid = COALESCE(p.pronamespace, dt.typnamespace, dc.relnamespace)
LEFT JOIN pg_class rc ON d.refclassid = 'pg_class'::regclass AND rc.oid = d.refobjid
                      AND rc.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c')
LEFT JOIN pg_attribute ra ON ra.attrelid = rc.oid AND ra.attnum = d.refobjsubid AND d.refobjsubid > 0
                          AND rc.relkind <> 'c' AND NOT ra.attisdropped
LEFT JOIN pg_type rt0 ON d.refclassid = 'pg_type'::regclass AND rt0.oid = d.refobjid
LEFT JOIN pg_type rt ON rt.oid = CASE WHEN rt0.typelem <> 0 AND rt0.typlen = -1 THEN rt0.typelem ELSE rt0.oid END
LEFT JOIN pg_proc rp ON d.refclassid = 'pg_proc'::regclass AND rp.oid = d.refobjid
LEFT JOIN pg_collation rl ON d.refclassid = 'pg_collation'::regclass AND rl.oid = d.refobjid
JOIN pg_namespace rn ON rn.oid = COALESCE(rc.relnamespace, rt.typnamespace, rp.pronamespace, rl.collnamespace)
WHERE d.deptype IN ('n', 'a')
  AND d.classid IN ('pg_rewrite'::regclass, 'pg_proc'::regclass, 'pg_attrdef'::regclass, 'pg_constraint'::regclass,
                    'pg_class'::regclass, 'pg_trigger'::regclass, 'pg_policy'::regclass)
  AND d.refclassid IN ('pg_class'::regclass, 'pg_type'::regclass, 'pg_proc'::regclass, 'pg_collation'::regclass)
  AND (dc.relkind IN ('v', 'm') OR rw.oid IS NULL)
  AND COALESCE(rw.oid, p.oid, ad.oid, co.oid, ix.indexrelid, tg.oid, po.oid) IS NOT NULL
  AND (ra.attname IS NOT NULL OR d.refobjsubid = 0 OR rc.relkind = 'c' OR rc.oid IS NULL)
  -- (each test false, never unknown, where the dependent has no such part)
  AND NOT (d.refclassid = 'pg_class'::regclass AND d.refobjid IS NOT DISTINCT FROM dc.oid
           AND (rw.oid IS NOT NULL OR co.oid IS NOT NULL OR ix.indexrelid IS NOT NULL))
  AND NOT (ad.oid IS NOT NULL AND d.refobjid = ad.adrelid AND d.refobjsubid = ad.adnum)
  AND NOT (co.oid IS NOT NULL AND d.refclassid = 'pg_type'::regclass AND d.refobjid = co.contypid)
  AND dn.nspname NOT LIKE 'pg\_%' AND dn.nspname <> 'information_schema'
  AND rn.nspname NOT LIKE 'pg\_%' AND rn.nspname <> 'information_schema'
ORDER BY 1, 2, 3, 4, 5, 6, 7, 8
