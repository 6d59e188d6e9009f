//! A snapshot's texts never run as SQL of their own (issue 31, item 1: a routine's argument
//! list in `owners`, pasted into `ALTER FUNCTION … OWNER TO` and run by the scratch server's
//! admin as a batch, ran `COPY … TO PROGRAM` as the `postgres` OS user).
//!
//! Every text of a snapshot ([`fields::text_paths`]: found from the OpenAPI document's types)
//! gets each payload in turn, and each document is pushed as JSON to the real binary, to a
//! service with and one without the `owners` preset: every answer is a 201, a 200 or a 422,
//! never a 5xx. The payloads that were taken (harmless objects: a table named `");COPY…`)
//! are then put together, one document per payload, and planned to a database, verified in a
//! scratch database, applied (by the registry for one service, by `psql` running the plan's
//! script and a report for the other), and planned back. Every payload tries to run
//! `COPY … TO PROGRAM 'touch CANARY'`, which only a superuser may: the canary file never
//! appears (a control shows that it would).

mod fields;

use std::path::PathBuf;
use std::time::Duration;

use futures_util::StreamExt;
use schemareg_adapters::testing::fixtures::{fixture, psql, read, repo};
use schemareg_adapters::testing::{TestDb, server_url};
use serde_json::{Value, json};

use crate::served::{Served, token};

/// Pushes at once (each builds the snapshot in a scratch database).
const AT_ONCE: usize = 8;

/// A file the payloads try to make with `COPY … TO PROGRAM` (as the PostgreSQL server's OS
/// user), short enough for a payload to fit a name (63 bytes); removed when dropped.
struct Canary {
    path: PathBuf,
}

impl Canary {
    async fn new() -> Self {
        let path = PathBuf::from(format!("/tmp/src{}", schemareg_adapters::random_hex(4)));
        // The control: the server's admin can make it, so a payload that ran as one would.
        let control = format!("{}_control", path.display());
        let admin = schemareg_adapters::pg::Target::parse(&server_url())
            .unwrap()
            .connect()
            .await
            .unwrap();
        // `touch` does not read what COPY writes to it: COPY may then fail with a broken pipe,
        // after the file was made (as a payload's would). The file tells.
        let _ = admin
            .batch_execute(&format!("COPY (SELECT 1) TO PROGRAM 'touch {control}'"))
            .await;
        assert!(
            std::path::Path::new(&control).exists(),
            "COPY … TO PROGRAM of the test server leaves no file here: the canary could not show anything"
        );
        let _ = std::fs::remove_file(&control);
        Self { path }
    }

    fn copy(&self) -> String {
        format!("COPY(SELECT 1)TO PROGRAM'touch {}'", self.path.display())
    }

    fn assert_untouched(&self, after: &str) {
        assert!(!self.path.exists(), "a payload ran as a superuser ({after})");
    }
}

impl Drop for Canary {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The payloads: each kind of quote and comment broken out of, a statement chained after it.
fn payloads(canary: &Canary) -> Vec<(&'static str, String)> {
    let copy = canary.copy();
    let all = vec![
        ("quote", format!("');{copy};--")),
        ("double quote", format!("\");{copy};--")),
        ("dollar quote", format!("$$;{copy};$$")),
        // Also a parenthesis closed, as in an argument list.
        ("line comment", format!("\n);{copy};\n--")),
        ("block comment", format!("*/);{copy};/*")),
        ("backslash", format!("\\');{copy};--")),
        ("nul", "a\u{0}b".to_string()),
        ("long", "x".repeat(100_000)),
    ];
    for (name, p) in &all {
        assert!(
            p.len() <= 63 || *name == "long",
            "the {name} payload does not fit a name"
        );
    }
    all
}

/// Roles of the test's own (the fixture's APP_OWNER and APP_READER), dropped from the test
/// server when the value is.
struct Roles {
    owner: String,
    reader: String,
    /// Roles the payloads name (a policy for `");COPY…`), made for the plans that need them.
    named: std::sync::Mutex<Vec<String>>,
}

impl Roles {
    fn named() -> Self {
        let hex = schemareg_adapters::random_hex(4);
        Self {
            owner: format!("inj_owner_{hex}"),
            reader: format!("inj_reader_{hex}"),
            named: Default::default(),
        }
    }

    /// Creates them on the test server, for the databases plans are applied to.
    async fn create(&self) {
        let admin = connect().await;
        for r in [&self.owner, &self.reader] {
            admin.batch_execute(&format!("CREATE ROLE {r} NOLOGIN")).await.unwrap();
        }
    }

    /// Makes the roles a plan names that the test server lacks (any name: quoted here).
    async fn make(&self, names: &[String]) {
        let admin = connect().await;
        for name in names {
            let exists = admin
                .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[name])
                .await
                .unwrap()
                .is_some();
            if !exists {
                let quoted = format!("\"{}\"", name.replace('"', "\"\""));
                admin
                    .execute(&format!("CREATE ROLE {quoted} NOLOGIN"), &[])
                    .await
                    .unwrap();
                self.named.lock().unwrap().push(quoted);
            }
        }
    }

    fn fixture(&self) -> String {
        read(&fixture("every_field.sql"))
            .replace("APP_OWNER", &self.owner)
            .replace("APP_READER", &self.reader)
    }
}

impl Drop for Roles {
    fn drop(&mut self) {
        let mut names = vec![self.owner.clone(), self.reader.clone()];
        names.extend(self.named.lock().unwrap().drain(..));
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let admin = connect().await;
                for r in names {
                    let _ = admin.execute(&format!("DROP ROLE IF EXISTS {r}"), &[]).await;
                }
            });
        })
        .join()
        .unwrap();
    }
}

async fn connect() -> tokio_postgres::Client {
    schemareg_adapters::pg::Target::parse(&server_url())
        .unwrap()
        .connect()
        .await
        .unwrap()
}

/// The served registry, as its clients call it.
struct Registry {
    served: Served,
    http: reqwest::Client,
    token: String,
}

impl Registry {
    async fn send(&self, method: reqwest::Method, path: &str, body: Option<(&str, String)>) -> (u16, String) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.served.base()))
            .bearer_auth(&self.token);
        if let Some((media, body)) = body {
            request = request.header("content-type", media).body(body);
        }
        let r = request.send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    async fn json(&self, method: reqwest::Method, path: &str, body: Value) -> (u16, Value) {
        let (status, text) = self
            .send(method, path, Some(("application/json", body.to_string())))
            .await;
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    async fn get(&self, path: &str) -> Value {
        let (status, text) = self.send(reqwest::Method::GET, path, None).await;
        assert_eq!(status, 200, "GET {path}: {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// Pushes a snapshot document: the status and the answer.
    async fn push(&self, service: &str, doc: &Value) -> (u16, Value) {
        self.json(
            reqwest::Method::POST,
            &format!("/v1/services/{service}/versions"),
            doc.clone(),
        )
        .await
    }

    /// Plans `version` for dev, applies it (by the registry, or by psql and a report), and
    /// checks the database is verified as that version.
    async fn plan_and_apply(&self, service: &str, version: i64, at: (&TestDb, &Roles), by_psql: bool, canary: &Canary) {
        let (dev, roles) = at;
        let (id, plan) = self.plan(service, version).await;
        canary.assert_untouched(&format!("planning version {version} of {service}"));
        let (id, plan) = match plan["plan"]["roles"].as_array() {
            // Roles named by a payload: the plan says which the database lacks; made, planned again.
            Some(named)
                if plan["state"] == "failed" && plan["error"].as_str().unwrap_or("").contains("needs roles") =>
            {
                let named: Vec<String> = named.iter().map(|r| r.as_str().unwrap().to_string()).collect();
                roles.make(&named).await;
                self.plan(service, version).await
            }
            _ => (id, plan),
        };
        assert_eq!(plan["state"], "approved", "version {version} of {service}: {plan:#}");
        if by_psql {
            let r = self
                .http
                .get(format!("{}/v1/plans/{id}", self.served.base()))
                .bearer_auth(&self.token)
                .header("accept", "application/sql")
                .send()
                .await
                .unwrap();
            let (status, sql) = (r.status().as_u16(), r.text().await.unwrap());
            assert_eq!(status, 200, "{sql}");
            psql(dev, &sql);
            canary.assert_untouched(&format!("psql ran the plan to version {version} of {service}"));
            let (status, done) = self
                .json(
                    reqwest::Method::POST,
                    &format!("/v1/plans/{id}/report"),
                    json!({"outcome": "applied"}),
                )
                .await;
            assert_eq!((status, &done["state"]), (200, &json!("verified")), "{done:#}");
        } else {
            let (status, r) = self
                .json(reqwest::Method::POST, &format!("/v1/plans/{id}/apply"), json!({}))
                .await;
            assert!(matches!(status, 200 | 202), "{r}");
            let done = self.settled(&id).await;
            canary.assert_untouched(&format!("applying version {version} of {service}"));
            assert_eq!(done["state"], "verified", "version {version} of {service}: {done:#}");
        }
    }

    /// A plan to `version` for dev, once computed: its id and itself.
    async fn plan(&self, service: &str, version: i64) -> (String, Value) {
        let (status, plan) = self
            .json(
                reqwest::Method::POST,
                &format!("/v1/services/{service}/environments/dev/plans"),
                json!({"version": version.to_string()}),
            )
            .await;
        assert!(matches!(status, 201 | 202), "plan of version {version}: {plan}");
        let id = plan["id"].as_str().unwrap().to_string();
        let plan = self.settled(&id).await;
        // "Try again later" is the registry's answer when the scratch server is short of
        // something for a moment (a CI run met it once among 1,500 pushes): a pipeline tries
        // again, and so does this test, once, after saying what the registry logged.
        if plan["state"] == "failed" && plan["error"].as_str().unwrap_or("").contains("try again later") {
            let log = self.served.log();
            let said: Vec<&str> = log
                .lines()
                .filter(|l| l.contains("WARN") || l.contains("ERROR"))
                .collect();
            eprintln!(
                "plan {id} of version {version} of {service}: {}; the registry logged:\n{}",
                plan["error"],
                said[said.len().saturating_sub(20)..].join("\n")
            );
            let (status, again) = self
                .json(
                    reqwest::Method::POST,
                    &format!("/v1/services/{service}/environments/dev/plans"),
                    json!({"version": version.to_string()}),
                )
                .await;
            assert!(matches!(status, 201 | 202), "plan of version {version}: {again}");
            let id = again["id"].as_str().unwrap().to_string();
            let plan = self.settled(&id).await;
            return (id, plan);
        }
        (id, plan)
    }

    async fn settled(&self, id: &str) -> Value {
        for _ in 0..1200 {
            let p = self.get(&format!("/v1/plans/{id}")).await;
            if p["state"] != "computing" && p["state"] != "applying" {
                return p;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("plan {id} did not settle in 2 minutes");
    }
}

/// One service of the test: a scope, and a dev database holding what the fixture's foreign
/// key points out of it to.
struct Service {
    name: &'static str,
    presets: &'static [&'static str],
    /// The plans' SQL is run by psql and reported, instead of applied by the registry.
    by_psql: bool,
}

const SERVICES: [Service; 2] = [
    Service {
        name: "plain",
        presets: &[],
        by_psql: false,
    },
    Service {
        name: "owned",
        presets: &["owners"],
        by_psql: true,
    },
];

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_text_of_a_snapshot_runs_as_sql() {
    let canary = Canary::new().await;
    let roles = Roles::named();
    roles.create().await;
    // Scratch databases on a private cluster: not the server the plans are applied to, whose
    // roles (the test's own) a scratch owner could not act for.
    let served = Served::start(&[("SCHEMAREG_REQUEST_TIMEOUT_SECS", "300"), ("SCHEMAREG_SCRATCH_URL", "")]).await;
    let registry = Registry {
        served,
        http: reqwest::Client::new(),
        token: token(),
    };
    let openapi: Value = serde_json::from_str(&read(&repo().join("openapi/openapi.json"))).unwrap();
    let paths = fields::text_paths(&openapi);
    assert!(
        paths.len() > 150,
        "{} texts: the Snapshot schema was not walked",
        paths.len()
    );

    // The fixture, pushed as DDL and read back: the base document.
    for s in &SERVICES {
        let (status, body) = registry
            .json(
                reqwest::Method::POST,
                "/v1/services",
                json!({"name": s.name, "scope": {"patterns": ["-ext"], "presets": s.presets}}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, body) = registry
        .send(
            reqwest::Method::POST,
            "/v1/services/owned/versions",
            Some(("application/sql", roles.fixture())),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let base = registry.get("/v1/services/owned/versions/1/snapshot").await;
    let places: Vec<(String, String)> = paths
        .iter()
        .map(|path| {
            let shown = fields::show(path);
            let pointer = fields::locate(&base, path).unwrap_or_else(|| {
                panic!("tests/fixtures/every_field.sql makes nothing that has {shown}: add an object with it")
            });
            (shown, pointer)
        })
        .collect();
    let payloads = payloads(&canary);

    // Every text, every payload; each pair pushed to one of the two services in turn (so each
    // text and each payload meets both), and the texts that reach the admin's connection
    // (owners, default privileges) to both.
    let started = std::time::Instant::now();
    let cases: Vec<(usize, usize, usize)> = (0..places.len())
        .flat_map(|f| (0..payloads.len()).map(move |p| (f, p)))
        .flat_map(|(f, p)| {
            let both = ["/owners/", "/default_privileges/"]
                .iter()
                .any(|k| places[f].1.starts_with(k));
            (0..SERVICES.len())
                .filter(move |s| both || *s == (f + p) % SERVICES.len())
                .map(move |s| (s, f, p))
        })
        .collect();
    let outcomes: Vec<((usize, usize, usize), u16)> = futures_util::stream::iter(cases)
        .map(|(s, f, p)| {
            let (registry, places, payloads, base) = (&registry, &places, &payloads, &base);
            async move {
                let doc = fields::with_text(base, &places[f].1, &payloads[p].1);
                let (status, answer) = registry.push(SERVICES[s].name, &doc).await;
                assert!(
                    matches!(status, 200 | 201 | 422),
                    "{} with the {} payload in {} ({}): {status} {answer}",
                    SERVICES[s].name,
                    payloads[p].0,
                    places[f].0,
                    places[f].1
                );
                ((s, f, p), status)
            }
        })
        .buffer_unordered(AT_ONCE)
        .collect()
        .await;
    canary.assert_untouched("pushing every payload into every text");
    let taken = outcomes.iter().filter(|(_, s)| *s != 422).count();
    eprintln!(
        "injection: {} texts × {} payloads: {} pushes in {:?}, {taken} taken as harmless objects",
        places.len(),
        payloads.len(),
        outcomes.len(),
        started.elapsed()
    );

    // What was taken, planned, verified, applied and planned back, a payload at a time.
    let runs = SERVICES.iter().enumerate().map(|(s, service)| {
        let (registry, places, payloads, base, outcomes, canary, roles) =
            (&registry, &places, &payloads, &base, &outcomes, &canary, &roles);
        async move {
            let dev = TestDb::new().await;
            dev.execute("CREATE SCHEMA ext; CREATE TABLE ext.accounts (id integer PRIMARY KEY);")
                .await;
            let (status, body) = registry
                .json(
                    reqwest::Method::PUT,
                    &format!("/v1/services/{}/environments/dev", service.name),
                    json!({"database_url": dev.url()}),
                )
                .await;
            assert!(matches!(status, 200 | 201), "{body}");
            let (status, first) = registry.push(service.name, base).await;
            assert!(matches!(status, 200 | 201), "{first}");
            let base_version = first["number"].as_i64().unwrap();
            registry
                .plan_and_apply(service.name, base_version, (&dev, roles), service.by_psql, canary)
                .await;
            for (p, (payload, text)) in payloads.iter().enumerate() {
                let fields: Vec<usize> = outcomes
                    .iter()
                    .filter(|((os, _, op), status)| *os == s && *op == p && *status == 201)
                    .map(|((_, f, _), _)| *f)
                    .collect();
                for version in together(registry, service.name, base, places, &fields, text).await {
                    for to in [version, base_version] {
                        registry
                            .plan_and_apply(service.name, to, (&dev, roles), service.by_psql, canary)
                            .await;
                    }
                }
                eprintln!(
                    "injection: {}: the {payload} payload in {} texts planned and applied",
                    service.name,
                    fields.len()
                );
            }
        }
    });
    futures_util::future::join_all(runs).await;
    canary.assert_untouched("planning, verifying and applying what was taken");
}

/// The versions that hold the payload in all of `fields` (each taken alone): as few as
/// PostgreSQL takes together, halved until it does.
async fn together(
    registry: &Registry,
    service: &str,
    base: &Value,
    places: &[(String, String)],
    fields: &[usize],
    text: &str,
) -> Vec<i64> {
    let mut versions = Vec::new();
    let mut todo = vec![fields.to_vec()];
    while let Some(group) = todo.pop() {
        if group.is_empty() {
            continue;
        }
        let mut doc = base.clone();
        for &f in &group {
            fields::set(&mut doc, &places[f].1, text);
        }
        let (status, answer) = registry.push(service, &doc).await;
        match status {
            200 | 201 => versions.push(answer["number"].as_i64().unwrap()),
            422 if group.len() > 1 => {
                let (a, b) = group.split_at(group.len() / 2);
                todo.push(a.to_vec());
                todo.push(b.to_vec());
            }
            _ => panic!("{} alone was taken, now {status}: {answer}", places[group[0]].0),
        }
    }
    versions
}

/// The CLI reads a snapshot as the registry does: the payload that ran a program through
/// `schemareg snapshot evil.json --preset owners` is refused before any SQL.
#[tokio::test]
async fn the_cli_refuses_the_argument_list_that_ran_a_program() {
    let canary = Canary::new().await;
    let evil = json!({"format": 1, "schemas": [{"name": "public"}],
        "functions": [{"schema": "public", "name": "f", "arguments": "", "kind": "function", "result": "integer",
            "language": "sql", "definition": "CREATE OR REPLACE FUNCTION public.f()\n RETURNS integer\n LANGUAGE sql\nAS $function$select 1$function$\n"}],
        "owners": [{"kind": "routine", "schema": "public", "name": "f", "owner": "r",
            "arguments": format!(") OWNER TO \"r\"; {}; --", canary.copy())}]});
    let (_dir, path) = schemareg_adapters::testing::fixtures::temp_file("evil.json", &evil.to_string());
    let out = crate::common::schemareg(&["snapshot", &path, "--preset", "owners"], true);
    let says = crate::common::stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{says}");
    assert!(says.contains("owners[0].arguments"), "{says}");
    canary.assert_untouched("schemareg snapshot evil.json --preset owners");
}
