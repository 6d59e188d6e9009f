//! Introspection reads what PostgreSQL recorded that objects depend on (`pg_depend`), down to
//! the column, and a snapshot read back from JSON has no such record.

use schemareg_adapters::introspect::introspect;
use schemareg_adapters::testing::TestDb;
use schemareg_engine::{Dependent, QualifiedName, Referenced};

#[tokio::test(flavor = "multi_thread")]
async fn the_record_says_which_columns_and_objects_each_dependent_uses() {
    let db = TestDb::new().await;
    db.execute(
        "CREATE TYPE mood AS ENUM ('calm', 'loud');
         CREATE FUNCTION positive(v int) RETURNS boolean LANGUAGE sql IMMUTABLE RETURN v > 0;
         CREATE DOMAIN amount AS int CHECK (positive(VALUE));
         CREATE TABLE t (id int, a int CHECK (positive(a)), b text, m mood, doubled int GENERATED ALWAYS AS (a * 2) STORED);
         CREATE INDEX t_loud ON t (id) WHERE m = 'loud';
         CREATE VIEW ids AS SELECT id, a FROM t;
         CREATE VIEW whole AS SELECT t FROM t;
         CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
         CREATE TRIGGER b_changed BEFORE UPDATE OF b ON t FOR EACH ROW EXECUTE FUNCTION touch();
         CREATE POLICY calm ON t USING (m = 'calm');
         CREATE FUNCTION first_b(x t) RETURNS text LANGUAGE sql BEGIN ATOMIC SELECT x.b; END;",
    )
    .await;
    let (snapshot, _) = introspect(&db.client().await).await.unwrap();
    let record = &snapshot.dependencies;
    assert!(record.is_read());
    let q = |n: &str| QualifiedName::new("public", n);
    let t = q("t");
    let column = |c: &str| Referenced::Column {
        relation: t.clone(),
        column: c.into(),
    };
    let of = |who: Dependent| -> Vec<Referenced> { record.of(&who).unwrap().cloned().collect() };
    let named = |n: &str| (t.clone(), n.to_string());
    let (table, name) = named("b_changed");
    assert_eq!(
        of(Dependent::Trigger { table, name }),
        [
            Referenced::Relation(t.clone()),
            column("b"),
            Referenced::Function(q("touch"))
        ]
    );
    assert_eq!(of(Dependent::View(q("ids"))), [column("a"), column("id")]);
    // A whole-row read is of the relation, which a column's type change does not stop.
    assert_eq!(of(Dependent::View(q("whole"))), [Referenced::Relation(t.clone())]);
    let (table, name) = named("t_loud");
    assert_eq!(of(Dependent::Index { table, name }), [Referenced::Type(q("mood"))]);
    let (table, name) = named("t_a_check");
    assert_eq!(
        of(Dependent::Check { table, name }),
        [Referenced::Function(q("positive"))]
    );
    let (table, column_name) = named("doubled");
    assert_eq!(
        of(Dependent::ColumnExpression {
            table,
            column: column_name
        }),
        [column("a")]
    );
    let (table, name) = named("calm");
    let policy = of(Dependent::Policy { table, name });
    assert!(
        policy.contains(&column("m")) && policy.contains(&Referenced::Type(q("mood"))),
        "{policy:?}"
    );
    let body = of(Dependent::Function {
        name: q("first_b"),
        arguments: "x public.t".into(),
    });
    assert_eq!(body, [column("b"), Referenced::Type(t.clone())]);
    assert_eq!(
        of(Dependent::DomainCheck {
            domain: q("amount"),
            name: "amount_check".into()
        }),
        [Referenced::Function(q("positive"))]
    );

    // The record belongs to the database read, not to the schema: JSON carries none.
    let json = serde_json::to_vec(&snapshot).unwrap();
    assert!(!String::from_utf8_lossy(&json).contains("dependencies"));
    let back = schemareg_engine::from_json(&json).unwrap();
    assert!(!back.dependencies.is_read());
    assert_eq!(schemareg_engine::digest(&back), schemareg_engine::digest(&snapshot));
}
