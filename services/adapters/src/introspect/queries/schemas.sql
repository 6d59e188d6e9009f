-- Schemas that are not PostgreSQL's own nor an extension's.
SELECT n.nspname::text AS name,
       dsc.description AS comment
FROM pg_namespace n
LEFT JOIN pg_description dsc ON dsc.objoid = n.oid AND dsc.classoid = 'pg_namespace'::regclass AND dsc.objsubid = 0
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname !~ '^pg_(toast|temp_)'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.refclassid = 'pg_extension'::regclass AND d.classid = 'pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e')
ORDER BY 1
