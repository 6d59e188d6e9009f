//! Introspection is set-based: 10 tables and 1,000 tables cost the same number of queries.

use schemareg_adapters::introspect::introspect;
use schemareg_adapters::testing::TestDb;

fn schema_of(tables: usize) -> String {
    let mut sql = String::from("CREATE TABLE t0 (id integer PRIMARY KEY, name text);\n");
    for i in 1..tables {
        sql.push_str(&format!(
            "CREATE TABLE t{i} (id integer PRIMARY KEY, parent integer REFERENCES t{} (id), name text NOT NULL DEFAULT 'x');\n\
             CREATE INDEX t{i}_parent ON t{i} (parent);\n",
            i - 1
        ));
    }
    sql
}

#[tokio::test(flavor = "multi_thread")]
async fn ten_and_a_thousand_tables_send_the_same_number_of_queries() {
    let small = TestDb::new().await;
    small.execute(&schema_of(10)).await;
    let large = TestDb::new().await;
    large.execute(&schema_of(1000)).await;

    let (s, small_stats) = introspect(&small.client().await).await.unwrap();
    let (l, large_stats) = introspect(&large.client().await).await.unwrap();
    assert_eq!(s.tables.len(), 10);
    assert_eq!(l.tables.len(), 1000);
    assert_eq!(l.counts().foreign_keys, 999);
    assert_eq!(l.counts().indexes, 999);
    assert_eq!(small_stats.queries, large_stats.queries);
    // One per catalog query, and BEGIN, the server's version and ROLLBACK.
    assert_eq!(
        small_stats.queries,
        schemareg_adapters::introspect::QUERIES.len() + 3,
        "{} queries",
        small_stats.queries
    );
}
