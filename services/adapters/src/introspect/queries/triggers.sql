-- User triggers on tables and views; internal triggers (foreign keys) and the clones a
-- partition gets from its parent's trigger are left out.
SELECT n.nspname::text AS schema, c.relname::text AS relation,
       t.tgname::text AS name,
       pg_get_triggerdef(t.oid) AS definition,
       t.tgenabled::text AS enabled,
       dsc.description AS comment
FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_description dsc ON dsc.objoid = t.oid AND dsc.classoid = 'pg_trigger'::regclass AND dsc.objsubid = 0
WHERE NOT t.tgisinternal
  AND {trigger_is_local}
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)'
ORDER BY 1, 2, 3
