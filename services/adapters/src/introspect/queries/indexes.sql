-- Indexes of tables and materialized views that do not implement a constraint, and that are
-- not the partitions of a parent's index, by their table's oid (the builder finds the table
-- among those it read; an index is in its table's schema). Their keys come as the catalog
-- holds them, one array element per position (key columns, then INCLUDE columns): the column
-- number (0 for an expression), operator class, collation and sort options; the builder
-- names columns from the columns it read and classes and collations from opclass_names.sql
-- and collation_names.sql. Only expressions are printed here, in position order.
-- (pg_index's vectors index from 0; the arrays they are cast to from 1.)
SELECT i.indrelid AS relation,
       ic.relname::text AS name,
       i.indisunique AS is_unique,
       COALESCE({index_nulls_not_distinct}, false) AS nulls_not_distinct,
       am.amname::text AS method,
       COALESCE(ic.reloptions::text[], '{}') AS storage,
       CASE WHEN NOT p.simple THEN pg_get_expr(i.indpred, i.indrelid) END AS predicate,
       CASE WHEN p.simple THEN pt.tree END AS predicate_tree,
       i.indnkeyatts::int AS key_count,
       i.indkey::int2[] AS column_numbers,
       i.indclass::oid[] AS opclasses,
       i.indcollation::oid[] AS collations,
       i.indoption::int2[] AS sort_options,
       CASE WHEN i.indexprs IS NOT NULL
            THEN ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, false) FROM generate_series(1, i.indnatts::int) k
                       WHERE i.indkey[k - 1] = 0 ORDER BY k) END AS expressions,
       dsc.description AS comment
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = ic.relnamespace
JOIN pg_am am ON am.oid = ic.relam
-- A predicate that is a boolean column, its negation or a column IS [NOT] NULL comes as its
-- node tree, for the builder to write as pg_get_expr does: printing it here opens the table
-- (a relation cache entry built per table on a fresh connection, the bulk of this query).
CROSS JOIN LATERAL (SELECT i.indpred::text AS tree) pt
CROSS JOIN LATERAL (SELECT length(pt.tree) - length(replace(pt.tree, '{', '')) AS nodes) pn
CROSS JOIN LATERAL (SELECT (pn.nodes = 1 AND pt.tree LIKE '{VAR :varno 1 :varattno %}')
                        OR (pn.nodes = 2 AND (pt.tree LIKE '{NULLTEST :arg {VAR :varno 1 :varattno %} :nulltesttype _ :argisrow false %}'
                                              OR pt.tree LIKE '{BOOLEXPR :boolop not :args ({VAR :varno 1 :varattno %}) %}'))
                    AS simple) p
LEFT JOIN pg_description dsc ON dsc.objoid = ic.oid AND dsc.classoid = 'pg_class'::regclass AND dsc.objsubid = 0
WHERE NOT ic.relispartition
  AND NOT EXISTS (SELECT 1 FROM pg_constraint con
                  WHERE con.conrelid = i.indrelid AND con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x'))
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)'
