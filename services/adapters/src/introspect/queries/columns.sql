-- Columns of every relation listed by relations.sql, by the relation's oid, with their
-- position (the builder orders them). An identity column's sequence options come with the
-- sequences (sequences.sql). A collation other than the type's is named by the builder from
-- collation_names.sql.
-- Defaults hold no column references, so they are printed without their relation (relid 0):
-- printing with it opens the relation, and a fresh session pays that for every table.
SELECT a.attrelid AS relation,
       a.attnum AS position,
       a.attname::text AS name,
       format_type(a.atttypid, a.atttypmod) AS type,
       a.attnotnull AS not_null,
       CASE WHEN a.attgenerated = '' THEN pg_get_expr(ad.adbin, 0) END AS "default",
       CASE WHEN a.attgenerated <> '' THEN pg_get_expr(ad.adbin, ad.adrelid) END AS generated,
       a.attidentity::text AS identity,
       {statistics} AS statistics,
       CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage::text END AS storage,
       {compression} AS compression,
       CASE WHEN a.attacl IS NOT NULL THEN a.attacl::text[] END AS acl,
       a.attcollation AS collation_oid, t.typcollation AS type_collation,
       dsc.description AS comment
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_description dsc ON dsc.objoid = c.oid AND dsc.classoid = 'pg_class'::regclass AND dsc.objsubid = a.attnum
WHERE a.attnum > 0 AND NOT a.attisdropped
  AND c.relkind IN ('r', 'p', 'v', 'm', 'c')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)'
