-- Collations made with CREATE COLLATION (libc or ICU); extension members excluded.
SELECT n.nspname::text AS schema, co.collname::text AS name, co.collprovider::text AS provider,
       CASE WHEN co.collprovider = 'i' THEN {icu_locale} END AS locale,
       CASE WHEN co.collprovider = 'c' THEN co.collcollate END AS lc_collate,
       CASE WHEN co.collprovider = 'c' THEN co.collctype END AS lc_ctype,
       co.collisdeterministic AS deterministic,
       dsc.description AS comment
FROM pg_collation co
JOIN pg_namespace n ON n.oid = co.collnamespace
LEFT JOIN pg_description dsc ON dsc.objoid = co.oid AND dsc.classoid = 'pg_collation'::regclass AND dsc.objsubid = 0
WHERE co.collprovider IN ('c', 'i')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.refclassid = 'pg_extension'::regclass AND d.classid = 'pg_collation'::regclass AND d.objid = co.oid AND d.deptype = 'e')
ORDER BY 1, 2
