//! Completeness: every object of the fixtures is in the snapshot, counted against the catalog
//! with queries of this test's own.

use schemareg_adapters::introspect::introspect;
use schemareg_adapters::testing::fixtures::*;
use schemareg_engine::ObjectCounts;

const USER: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'";

fn not_ext(class: &str, oid: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '{class}'::regclass AND d.objid = {oid} AND d.deptype = 'e')"
    )
}

async fn catalog_counts(db: &schemareg_adapters::testing::TestDb) -> ObjectCounts {
    let c = db.client().await;
    let rel = |kinds: &str| {
        format!(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ({kinds}) AND {USER} AND {}",
            not_ext("pg_class", "c.oid")
        )
    };
    let con = |kind: &str| {
        format!(
            "SELECT count(*) FROM pg_constraint x JOIN pg_class c ON c.oid = x.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE x.contype = '{kind}' AND x.conparentid = 0 AND x.conislocal AND {USER}"
        )
    };
    let typ = |kind: &str| {
        format!(
            "SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.typtype = '{kind}' AND {USER} AND {} \
             AND (t.typtype <> 'c' OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')",
            not_ext("pg_type", "t.oid")
        )
    };
    let queries = [
        (
            "schemas",
            format!(
                "SELECT count(*) FROM pg_namespace n WHERE {USER} AND {}",
                not_ext("pg_namespace", "n.oid")
            ),
        ),
        ("extensions", "SELECT count(*) FROM pg_extension".to_string()),
        ("enums", typ("e")),
        ("domains", typ("d")),
        ("composite_types", typ("c")),
        (
            "collations",
            format!(
                "SELECT count(*) FROM pg_collation co JOIN pg_namespace n ON n.oid = co.collnamespace \
                 WHERE co.collprovider IN ('c', 'i') AND {USER} AND {}",
                not_ext("pg_collation", "co.oid")
            ),
        ),
        (
            "sequences",
            format!(
                "{} AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'i')",
                rel("'S'")
            ),
        ),
        ("tables", rel("'r', 'p'")),
        (
            "columns",
            format!(
                "SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p') AND {USER} AND {}",
                not_ext("pg_class", "c.oid")
            ),
        ),
        ("primary_keys", con("p")),
        ("unique_constraints", con("u")),
        ("check_constraints", con("c")),
        ("exclusion_constraints", con("x")),
        ("foreign_keys", con("f")),
        (
            "indexes",
            format!(
                "SELECT count(*) FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid \
                 JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {USER} AND NOT ic.relispartition \
                 AND i.indexrelid NOT IN (SELECT conindid FROM pg_constraint WHERE contype IN ('p', 'u', 'x'))"
            ),
        ),
        ("views", rel("'v'")),
        ("materialized_views", rel("'m'")),
        (
            "functions",
            format!(
                "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.prokind IN ('f', 'p', 'w', 'a') AND {USER} AND {} \
                 AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'i')",
                not_ext("pg_proc", "p.oid")
            ),
        ),
        (
            "triggers",
            format!(
                "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE NOT t.tgisinternal AND t.tgparentid = 0 AND {USER}"
            ),
        ),
        ("policies", "SELECT count(*) FROM pg_policy".to_string()),
        (
            "grants",
            // (object, grantee) pairs beyond the defaults: a non-owner's entry, or PUBLIC's
            // default EXECUTE or USAGE missing from a function's or type's list.
            format!(
                "SELECT count(*) FROM ( \
                 SELECT c.oid, 0 AS sub, e.grantee FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) e \
                   WHERE e.grantee <> c.relowner AND {USER} AND {rel_ext} \
                 UNION SELECT c.oid, a.attnum, e.grantee FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
                   JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(a.attacl) e WHERE e.grantee <> c.relowner AND {USER} \
                 UNION SELECT n.oid, -1, e.grantee FROM pg_namespace n, aclexplode(n.nspacl) e \
                   WHERE e.grantee <> n.nspowner AND n.nspname <> 'public' AND {USER} \
                 UNION SELECT p.oid, -2, e.grantee FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace, aclexplode(p.proacl) e \
                   WHERE e.grantee NOT IN (0, p.proowner) AND {USER} \
                 UNION SELECT p.oid, -2, 0 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
                   WHERE p.proacl IS NOT NULL AND {USER} AND NOT EXISTS (SELECT 1 FROM aclexplode(p.proacl) e WHERE e.grantee = 0) \
                 UNION SELECT t.oid, -3, e.grantee FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace, aclexplode(t.typacl) e \
                   WHERE e.grantee NOT IN (0, t.typowner) AND {USER} \
                 UNION SELECT t.oid, -3, 0 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
                   WHERE t.typacl IS NOT NULL AND {USER} AND NOT EXISTS (SELECT 1 FROM aclexplode(t.typacl) e WHERE e.grantee = 0)) x",
                rel_ext = not_ext("pg_class", "c.oid")
            ),
        ),
    ];
    let mut counts = serde_json::Map::new();
    for (kind, sql) in queries {
        let n: i64 = c
            .query_one(sql.as_str(), &[])
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"))
            .get(0);
        counts.insert(kind.to_string(), n.into());
    }
    serde_json::from_value(serde_json::Value::Object(counts)).unwrap()
}

async fn check(sql: &str) -> ObjectCounts {
    let db = loaded(sql).await;
    let (snapshot, _) = introspect(&db.client().await).await.unwrap();
    let mut got = snapshot.counts();
    // Extensions in pg_catalog (plpgsql) are listed by the catalog count too.
    got.extensions = snapshot.extensions.len();
    let expected = catalog_counts(&db).await;
    assert_eq!(got, expected);
    got
}

#[tokio::test(flavor = "multi_thread")]
async fn every_object_of_live_before_is_in_the_snapshot() {
    let got = check(&read(&live_before())).await;
    assert_eq!(got.tables, 11);
    assert_eq!(got.enums, 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_object_of_the_kitchen_sink_is_in_the_snapshot_and_every_kind_is_there() {
    let got = check(&read(&fixture("kitchen_sink.sql"))).await;
    let every_kind = serde_json::to_value(got).unwrap();
    for (kind, n) in every_kind.as_object().unwrap() {
        assert!(n.as_u64().unwrap() > 0, "the kitchen sink has no {kind}");
    }
}
