-- Tables, partitioned tables, views, materialized views and composite types (and foreign
-- tables, which are not modelled); extension members excluded. One row per relation, with its
-- oid (the columns name their relation by it), owner and ACL (the grants are read from it).
SELECT c.oid AS oid, n.nspname::text AS schema, c.relname::text AS name, c.relkind::text AS kind,
       c.relpersistence = 'u' AS unlogged,
       c.relrowsecurity AS rls_enabled, c.relforcerowsecurity AS rls_forced,
       COALESCE(c.reloptions::text[], '{}') AS options,
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partition_by,
       c.relispartition AS is_partition,
       c.relreplident::text AS replica_identity,
       CASE WHEN c.relacl IS NOT NULL AND c.relkind <> 'c' THEN c.relacl::text[] END AS acl,
       pg_get_userbyid(c.relowner)::text AS owner,
       CASE WHEN c.relreplident = 'i' THEN (SELECT ic.relname::text FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
                                            WHERE i.indrelid = c.oid AND i.indisreplident) END AS replica_index,
       CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END AS partition_bound,
       COALESCE(inh.schemas, '{}') AS parent_schemas, COALESCE(inh.names, '{}') AS parent_names,
       CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END AS view_definition,
       CASE WHEN c.relkind = 'c' THEN dsc.description ELSE dsc1.description END AS comment
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_description dsc ON dsc.objoid = c.reltype AND dsc.classoid = 'pg_type'::regclass AND dsc.objsubid = 0
LEFT JOIN pg_description dsc1 ON dsc1.objoid = c.oid AND dsc1.classoid = 'pg_class'::regclass AND dsc1.objsubid = 0
-- (the parents of every relation in one pass, not two lookups a relation)
LEFT JOIN (SELECT i.inhrelid, array_agg(pn.nspname::text ORDER BY i.inhseqno) AS schemas,
                  array_agg(p.relname::text ORDER BY i.inhseqno) AS names
           FROM pg_inherits i
           JOIN pg_class p ON p.oid = i.inhparent
           JOIN pg_namespace pn ON pn.oid = p.relnamespace
           GROUP BY i.inhrelid) inh ON inh.inhrelid = c.oid
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'c', 'f')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.refclassid = 'pg_extension'::regclass AND d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
  AND NOT (c.relkind = 'c' AND EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.refclassid = 'pg_extension'::regclass AND d.classid = 'pg_type'::regclass AND d.objid = c.reltype AND d.deptype = 'e'))
