//! Checks on the live rows (issue 34, item 1): each kind of step that existing rows can make
//! fail counts those rows on a real database, with rows that fail and with rows that pass; a
//! count over more rows than a check may read is a lower bound; a check that runs out of time
//! says so; and no check changes a row.

use std::time::Duration;

use schemareg_adapters::data_checks::{CheckResult, Found, Limits, check_plan};
use schemareg_adapters::testing::fixtures::{ingested, live_snapshot, loaded};
use schemareg_engine::plan::{PlanOptions, plan};

const LIMITS: Limits = Limits {
    lock_timeout: Duration::from_secs(10),
    statement_timeout: Duration::from_secs(10),
    max_rows: None,
};

/// Loads `from` (with its rows), plans to `to`, and runs the plan's checks.
async fn checked(from: &str, to: &str, limits: &Limits) -> Vec<CheckResult> {
    let db = loaded(from).await;
    let live = live_snapshot(&db).await;
    let to = ingested(to, "to").await;
    let p = plan(&live, &to, &PlanOptions::default());
    let client = db.client().await;
    let before: i64 = client.query_one("SELECT count(*) FROM t", &[]).await.unwrap().get(0);
    let results = check_plan(&client, &p, limits).await;
    let after: i64 = client.query_one("SELECT count(*) FROM t", &[]).await.unwrap().get(0);
    assert_eq!(before, after, "a check changed rows");
    results
}

/// The failing rows a check counted, exactly.
fn count(case: &str, r: &CheckResult) -> i64 {
    match r.found {
        Found::Counted {
            failing, exact: true, ..
        } => failing,
        ref other => panic!("{case}: an exact count expected, not {other:?}"),
    }
}

struct Case {
    name: &'static str,
    /// The table `t` and what it needs, without rows.
    from: &'static str,
    /// Rows that make the step fail, and rows that do not.
    failing_rows: &'static str,
    passing_rows: &'static str,
    to: &'static str,
    /// Each check of the plan (what it says of itself) and how many of the failing rows fail it.
    expect: &'static [(&'static str, i64)],
}

const CASES: &[Case] = &[
    Case {
        name: "set not null",
        from: "CREATE TABLE t (id int PRIMARY KEY, email text);",
        failing_rows: "INSERT INTO t VALUES (1, 'a'), (2, NULL), (3, NULL);",
        passing_rows: "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c');",
        to: "CREATE TABLE t (id int PRIMARY KEY, email text NOT NULL);",
        expect: &[("NULLs in public.t.email", 2)],
    },
    Case {
        name: "a new NOT NULL column without a default",
        from: "CREATE TABLE t (id int PRIMARY KEY);",
        failing_rows: "INSERT INTO t VALUES (1), (2);",
        passing_rows: "",
        to: "CREATE TABLE t (id int PRIMARY KEY, code text NOT NULL);",
        expect: &[("rows in public.t", 2)],
    },
    Case {
        name: "a new primary key",
        from: "CREATE TABLE t (id int, note text);",
        failing_rows: "INSERT INTO t VALUES (1, 'a'), (1, 'b'), (2, 'c'), (NULL, 'd');",
        passing_rows: "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c');",
        to: "CREATE TABLE t (id int PRIMARY KEY, note text);",
        // NOT NULL first (a NULL fails it), then the key (the NULL fails it too).
        expect: &[("NULLs in public.t.id", 1), ("duplicates of (\"id\") in public.t", 3)],
    },
    Case {
        name: "a new unique constraint (NULLs are distinct)",
        from: "CREATE TABLE t (id int PRIMARY KEY, email text);",
        failing_rows: "INSERT INTO t VALUES (1, 'a'), (2, 'a'), (3, 'a'), (4, NULL), (5, NULL);",
        passing_rows: "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, NULL), (4, NULL);",
        to: "CREATE TABLE t (id int PRIMARY KEY, email text UNIQUE);",
        expect: &[("duplicates of (\"email\") in public.t", 3)],
    },
    Case {
        name: "a new partial unique index on an expression",
        from: "CREATE TABLE t (id int PRIMARY KEY, email text, active boolean);",
        failing_rows: "INSERT INTO t VALUES (1, 'A', true), (2, 'a', true), (3, 'a', false);",
        passing_rows: "INSERT INTO t VALUES (1, 'A', true), (2, 'a', false), (3, 'b', true);",
        to: "CREATE TABLE t (id int PRIMARY KEY, email text, active boolean); \
             CREATE UNIQUE INDEX t_email ON t (lower(email)) WHERE active;",
        expect: &[("duplicates of (lower(email)) in public.t", 2)],
    },
    Case {
        name: "a new check",
        from: "CREATE TABLE t (id int PRIMARY KEY, price numeric);",
        failing_rows: "INSERT INTO t VALUES (1, 5), (2, -1), (3, 0), (4, NULL);",
        passing_rows: "INSERT INTO t VALUES (1, 5), (2, NULL);",
        to: "CREATE TABLE t (id int PRIMARY KEY, price numeric CONSTRAINT positive CHECK (price > 0));",
        expect: &[("rows of public.t failing (price > (0)::numeric)", 2)],
    },
    Case {
        name: "a new foreign key",
        from: "CREATE TABLE p (id int PRIMARY KEY); INSERT INTO p VALUES (1), (2); \
               CREATE TABLE t (id int PRIMARY KEY, p_id int);",
        failing_rows: "INSERT INTO t VALUES (1, 1), (2, 3), (3, 4), (4, NULL);",
        passing_rows: "INSERT INTO t VALUES (1, 1), (2, 2), (3, NULL);",
        to: "CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE t (id int PRIMARY KEY, p_id int REFERENCES p);",
        expect: &[("rows of public.t whose (p_id) match no row of public.p", 2)],
    },
    Case {
        name: "a type change the values may not survive",
        from: "CREATE TABLE t (id int PRIMARY KEY, qty text);",
        failing_rows: "INSERT INTO t VALUES (1, '12'), (2, 'twelve'), (3, '1.5'), (4, NULL);",
        passing_rows: "INSERT INTO t VALUES (1, '12'), (2, ' 7'), (3, NULL);",
        to: "CREATE TABLE t (id int PRIMARY KEY, qty integer);",
        expect: &[("values of public.t.qty that do not become integer", 2)],
    },
    Case {
        name: "text to an enum with a value it lacks",
        from: "CREATE TYPE status AS ENUM ('draft', 'completed'); CREATE TABLE t (id int PRIMARY KEY, status text);",
        failing_rows: "INSERT INTO t VALUES (1, 'draft'), (2, 'done'), (3, 'completed');",
        passing_rows: "INSERT INTO t VALUES (1, 'draft'), (2, 'completed');",
        to: "CREATE TYPE status AS ENUM ('draft', 'completed'); CREATE TABLE t (id int PRIMARY KEY, status status);",
        expect: &[("values of public.t.status that do not become public.status", 1)],
    },
    Case {
        name: "a narrower varchar",
        from: "CREATE TABLE t (id int PRIMARY KEY, code varchar(10));",
        failing_rows: "INSERT INTO t VALUES (1, 'abc'), (2, 'abcdefgh');",
        passing_rows: "INSERT INTO t VALUES (1, 'abc'), (2, 'abcd');",
        to: "CREATE TABLE t (id int PRIMARY KEY, code varchar(4));",
        expect: &[("values of public.t.code that do not become character varying(4)", 1)],
    },
];

#[tokio::test(flavor = "multi_thread")]
async fn each_kind_of_check_counts_the_rows_that_fail_and_passes_clean_ones() {
    for case in CASES {
        let failing = checked(&format!("{}{}", case.from, case.failing_rows), case.to, &LIMITS).await;
        let found: Vec<(&str, i64)> = failing
            .iter()
            .map(|r| (r.check.as_str(), count(case.name, r)))
            .collect();
        assert_eq!(found, case.expect, "{}: {failing:#?}", case.name);
        assert!(failing.iter().all(CheckResult::fails), "{}", case.name);
        let passing = checked(&format!("{}{}", case.from, case.passing_rows), case.to, &LIMITS).await;
        assert_eq!(passing.len(), case.expect.len(), "{}", case.name);
        for r in &passing {
            assert_eq!(count(case.name, r), 0, "{}: {passing:#?}", case.name);
            assert!(!r.fails(), "{}", case.name);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_count_past_max_rows_is_a_lower_bound_and_a_slow_check_says_it_timed_out() {
    let from = "CREATE TABLE t (id int PRIMARY KEY, email text); \
                INSERT INTO t SELECT i, CASE WHEN i % 2 = 0 THEN NULL ELSE 'x' END FROM generate_series(1, 20000) i;";
    let to = "CREATE TABLE t (id int PRIMARY KEY, email text NOT NULL);";
    let bounded = Limits {
        max_rows: Some(1000),
        ..LIMITS
    };
    let results = checked(from, to, &bounded).await;
    match &results[0].found {
        Found::Counted {
            checked,
            failing,
            exact,
        } => {
            assert_eq!(*checked, 1000);
            assert!(*failing > 0 && *failing <= 1000, "{failing}");
            assert!(!exact, "a count over the first 1,000 of 20,000 rows is a lower bound");
        }
        other => panic!("{other:?}"),
    }
    // A cast checked row by row on 20,000 rows within a millisecond: timed out, never "0 rows".
    let from = "CREATE TABLE t (id int PRIMARY KEY, qty text); INSERT INTO t SELECT i, i::text FROM generate_series(1, 20000) i;";
    let hurried = Limits {
        statement_timeout: Duration::from_millis(1),
        ..LIMITS
    };
    let results = checked(from, "CREATE TABLE t (id int PRIMARY KEY, qty integer);", &hurried).await;
    assert_eq!(results[0].found, Found::TimedOut, "{results:#?}");
    assert!(!results[0].fails());
}

/// A narrower `varchar` refuses a value that does not fit, as the check counts, instead of
/// cutting it short: the plan's cast goes through `text` and the column's length is enforced as
/// on an insert (an explicit cast to `varchar(4)` kept `abcd` of `abcdefgh` without a word).
#[tokio::test(flavor = "multi_thread")]
async fn a_narrower_varchar_refuses_a_long_value_instead_of_cutting_it() {
    let db =
        loaded("CREATE TABLE t (id int PRIMARY KEY, code varchar(10)); INSERT INTO t VALUES (1, 'abcdefgh');").await;
    let live = live_snapshot(&db).await;
    let to = ingested("CREATE TABLE t (id int PRIMARY KEY, code varchar(4));", "to").await;
    let p = plan(&live, &to, &PlanOptions::default());
    let script = schemareg_engine::plan::render_script(&p, &Default::default());
    let client = db.client().await;
    let refused = client
        .batch_execute(&script)
        .await
        .expect_err("the long value is refused");
    assert!(
        schemareg_adapters::pg::error_text(&refused).contains("too long"),
        "{refused}\n{script}"
    );
    let _ = client.batch_execute("ROLLBACK").await;
    let kept: String = client.query_one("SELECT code::text FROM t", &[]).await.unwrap().get(0);
    assert_eq!(kept, "abcdefgh");
}

/// A check does not queue behind another session's lock on its table longer than the lock
/// timeout (while it waits, every query on the table would queue behind it): it says it timed
/// out, and the lock's holder goes on.
#[tokio::test(flavor = "multi_thread")]
async fn a_check_behind_a_lock_gives_up_at_the_lock_timeout() {
    let db = loaded("CREATE TABLE t (id int PRIMARY KEY, email text); INSERT INTO t VALUES (1, NULL);").await;
    let live = live_snapshot(&db).await;
    let to = ingested("CREATE TABLE t (id int PRIMARY KEY, email text NOT NULL);", "to").await;
    let p = plan(&live, &to, &PlanOptions::default());
    let holder = db.client().await;
    holder
        .batch_execute("BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let hurried = Limits {
        lock_timeout: Duration::from_millis(200),
        ..LIMITS
    };
    let started = std::time::Instant::now();
    let results = check_plan(&db.client().await, &p, &hurried).await;
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].found, Found::TimedOut, "{results:#?}");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    holder.batch_execute("ROLLBACK").await.unwrap();
}
