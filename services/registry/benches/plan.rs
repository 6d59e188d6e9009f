//! `make bench` (part 2): diff + plan of generated snapshots of 1,000 and 10,000 tables (10
//! columns, 2 indexes, 1 foreign key each) with 1 % of the tables changed (a column added, a
//! type changed, an index added). Pure engine, no database. Prints the median wall time of 5
//! runs and the process's peak memory; each size runs in a process of its own.

use std::process::Command;
use std::time::{Duration, Instant};

use schemareg_engine::plan::{PlanOptions, plan};
use schemareg_engine::*;

fn column(name: &str, ty: &str, not_null: bool, default: Option<&str>) -> Column {
    Column {
        name: name.into(),
        renamed_from: None,
        data_type: ty.into(),
        not_null,
        default: default.map(str::to_string),
        identity: None,
        generated: None,
        collation: None,
        statistics: None,
        storage: None,
        compression: None,
        comment: None,
    }
}

fn index(name: &str, col: &str) -> Index {
    Index {
        name: name.into(),
        unique: false,
        nulls_not_distinct: false,
        method: "btree".into(),
        keys: vec![IndexKey {
            expression: col.into(),
            opclass: None,
            collation: None,
            descending: false,
            nulls_first: false,
        }],
        include: vec![],
        predicate: None,
        options: vec![],
        comment: None,
    }
}

fn snapshot(tables: usize) -> Snapshot {
    let mut s = Snapshot {
        schemas: vec![Schema {
            name: "public".into(),
            comment: None,
        }],
        ..Snapshot::default()
    };
    for i in 0..tables {
        let name = format!("t{i}");
        let mut t: Table =
            serde_json::from_value(serde_json::json!({"schema": "public", "name": name, "columns": []})).unwrap();
        t.columns = vec![
            column("id", "bigint", true, None),
            column("parent_id", "bigint", false, None),
            column("name", "text", true, None),
            column("email", "character varying(255)", false, None),
            column("amount", "numeric(12,2)", false, Some("0")),
            column("status", "text", true, Some("'new'::text")),
            column("created_at", "timestamp with time zone", true, Some("now()")),
            column("updated_at", "timestamp with time zone", false, None),
            column("payload", "jsonb", false, None),
            column("active", "boolean", true, Some("true")),
        ];
        t.primary_key = Some(PrimaryKey {
            name: format!("{name}_pkey"),
            columns: vec!["id".into()],
            definition: "PRIMARY KEY (id)".into(),
            comment: None,
        });
        if i > 0 {
            t.foreign_keys.push(ForeignKey {
                name: format!("{name}_parent_id_fkey"),
                columns: vec!["parent_id".into()],
                references: QualifiedName::new("public", format!("t{}", i - 1)),
                referenced_columns: vec!["id".into()],
                on_update: ForeignKeyAction::NoAction,
                on_delete: ForeignKeyAction::NoAction,
                match_type: ForeignKeyMatch::Simple,
                deferrable: false,
                initially_deferred: false,
                validated: true,
                definition: format!("FOREIGN KEY (parent_id) REFERENCES public.t{}(id)", i - 1),
                comment: None,
            });
        }
        t.indexes = vec![
            index(&format!("{name}_parent_idx"), "parent_id"),
            index(&format!("{name}_created_idx"), "created_at"),
        ];
        s.tables.push(t);
    }
    canonical::normalize(&mut s);
    s
}

fn run(tables: usize) {
    let from = snapshot(tables);
    let mut to = from.clone();
    for (k, t) in to.tables.iter_mut().enumerate().filter(|(k, _)| k % 100 == 0) {
        match k % 300 {
            0 => t.columns.push(column("note", "text", false, None)),
            100 => t.columns[3].data_type = "text".into(),
            _ => t.indexes.push(index(&format!("{}_email_idx", t.name), "email")),
        }
    }
    let mut times = Vec::new();
    let mut steps = 0;
    for _ in 0..5 {
        let start = Instant::now();
        let p = plan(&from, &to, &PlanOptions::default());
        times.push(start.elapsed());
        steps = p.steps.len();
    }
    times.sort();
    if std::env::var("SCHEMAREG_BENCH_DETAIL").is_ok() {
        let t = Instant::now();
        let changes = schemareg_engine::diff::diff(&from, &to);
        eprintln!("diff {:?} ({} changes)", t.elapsed(), changes.len());
        let t = Instant::now();
        let _ = digest(&from);
        eprintln!("digest {:?}", t.elapsed());
    }
    let usage = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_SELF).unwrap();
    println!(
        "{tables:>7} | {:>7} | {:>10.1} ms | {:>10} MB",
        steps,
        times[2].as_secs_f64() * 1000.0,
        usage.max_rss() / 1024
    );
    let _: Duration = times[0];
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return;
    }
    if let Some(n) = args.iter().position(|a| a == "--tables").and_then(|i| args.get(i + 1)) {
        run(n.parse().unwrap());
        return;
    }
    println!("diff + plan benchmark (1 % of the tables changed; median of 5; peak RSS of the process)");
    println!(
        "{:>7} | {:>7} | {:>13} | {:>13}",
        "tables", "steps", "diff+plan", "peak memory"
    );
    for tables in ["1000", "10000"] {
        let status = Command::new(&args[0]).args(["--tables", tables]).status().unwrap();
        assert!(status.success());
    }
}
