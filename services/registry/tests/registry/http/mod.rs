//! A registry for HTTP tests: the real application (store, scratch server, keys) driven
//! through its router, with tokens signed by the test's key.
#![allow(dead_code)]

/// Runs each named `async fn(Backend)` as two tests: on an SQLite store and on a PostgreSQL one.
#[allow(unused_macros)]
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => { $(
        mod $name {
            #[tokio::test(flavor = "multi_thread")]
            async fn sqlite() {
                super::$name(crate::http::Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn postgres() {
                super::$name(crate::http::Backend::Postgres).await;
            }
        }
    )* };
}

use std::sync::{Arc, Mutex, OnceLock};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use schemareg::auth::{Role, sign};
use schemareg::config::Config;
use schemareg::state::AppState;
use schemareg_adapters::store::Store;
use schemareg_adapters::testing::TestDb;
use tower::ServiceExt;

/// The password put in every database URL the tests bind: it must never come back.
pub const PASSWORD: &str = "hunter2-never-shown";

/// Every log line of this test binary (for the secrets check).
pub fn logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = buffer.clone();
        let _ = tracing_subscriber::fmt()
            .with_env_filter("debug,sqlx=debug,tokio_postgres=debug")
            .with_writer(move || LogWriter(writer.clone()))
            .try_init();
        buffer
    })
    .clone()
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Which store backs the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct Api {
    pub app: Router,
    pub store: Store,
    pub config: Config,
    /// Every response body seen (for the secrets check).
    pub seen: Mutex<Vec<String>>,
    _dir: tempfile::TempDir,
    _db: Option<TestDb>,
}

/// A response.
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Resp {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// Asserts a problem document of this status and returns it.
    pub fn problem(&self, status: u16) -> serde_json::Value {
        assert_eq!(self.status.as_u16(), status, "{}", self.text);
        assert_eq!(
            self.headers["content-type"], "application/problem+json",
            "{}",
            self.text
        );
        let p = self.json();
        assert_eq!(p["status"], status);
        for field in ["type", "title", "detail", "instance"] {
            assert!(p[field].is_string(), "problem without {field}: {p}");
        }
        p
    }
}

impl Api {
    pub async fn new(backend: Backend) -> Self {
        Self::with(backend, |_| {}).await
    }

    pub async fn with(backend: Backend, change: impl FnOnce(&mut Config)) -> Self {
        Self::with_scratch(backend, schemareg_adapters::testing::scratch().await, change).await
    }

    /// A registry with a given scratch server.
    pub async fn with_scratch(
        backend: Backend,
        scratch: schemareg_adapters::scratch::ScratchServer,
        change: impl FnOnce(&mut Config),
    ) -> Self {
        logs();
        let dir = tempfile::tempdir().unwrap();
        let (store_url, db) = match backend {
            Backend::Sqlite => (format!("sqlite://{}/store.db", dir.path().display()), None),
            Backend::Postgres => {
                let db = TestDb::new().await;
                (db.url(), Some(db))
            }
        };
        let mut config = Config {
            store_url,
            data_dir: dir.path().join("data").display().to_string(),
            jwt_hs256_secret: Some("a-test-secret-that-is-long-enough-0123456789".into()),
            secret_key: Some("CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=".into()),
            body_limit: 1024 * 1024,
            // Pushes answered in the request whatever the machine's load (slow_pushes.rs
            // tries the background).
            push_wait_secs: 25,
            ..Config::default()
        };
        change(&mut config);
        let state = AppState::new(config.clone(), scratch).await.unwrap();
        Self {
            app: schemareg::app::app(state.clone()),
            store: state.store.clone(),
            config,
            seen: Mutex::new(Vec::new()),
            _dir: dir,
            _db: db,
        }
    }

    pub fn token(&self, roles: &[Role]) -> String {
        self.token_for("tester", roles)
    }

    pub fn token_for(&self, subject: &str, roles: &[Role]) -> String {
        sign(&self.config, subject, roles, 600).unwrap()
    }

    /// A token scoped to some services and environments.
    pub fn scoped(&self, roles: &[Role], services: &[&str], environments: &[&str]) -> String {
        let list = |v: &[&str]| (!v.is_empty()).then(|| v.iter().map(|s| s.to_string()).collect());
        schemareg::auth::sign_scoped(&self.config, "scoped", roles, list(services), list(environments), 600).unwrap()
    }

    pub fn admin(&self) -> String {
        self.token(&[Role::Admin])
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: impl Into<Body>,
    ) -> Resp {
        let mut req = Request::builder().method(method.clone()).uri(path);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = self.app.clone().oneshot(req.body(body.into()).unwrap()).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), 64 << 20).await.unwrap();
        let text = String::from_utf8_lossy(&bytes).to_string();
        assert_documented(&method_of(&method), path, status.as_u16(), &text);
        self.seen.lock().unwrap().push(text.clone());
        Resp { status, headers, text }
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.request(Method::GET, path, Some(token), &[], Body::empty()).await
    }

    /// The plan (its id or its path) once it is no longer computing, read with `token`.
    pub async fn computed(&self, plan: &str, token: &str) -> serde_json::Value {
        self.plan_past(plan, token, &["computing"]).await
    }

    /// The plan (its id or its path) once it is neither computing nor applying, read with
    /// `token`.
    pub async fn settled(&self, plan: &str, token: &str) -> serde_json::Value {
        self.plan_past(plan, token, &["computing", "applying"]).await
    }

    /// Polls a plan until its state is none of `busy` (two minutes at most).
    async fn plan_past(&self, plan: &str, token: &str, busy: &[&str]) -> serde_json::Value {
        let path = if plan.starts_with('/') {
            plan.to_string()
        } else {
            format!("/v1/plans/{plan}")
        };
        for _ in 0..1200 {
            let p = self.get(&path, token).await.json();
            if !busy.iter().any(|state| p["state"] == *state) {
                return p;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the plan at {path} is still {busy:?} after two minutes")
    }

    pub async fn get_sql(&self, path: &str, token: &str) -> Resp {
        self.request(
            Method::GET,
            path,
            Some(token),
            &[("accept", "application/sql")],
            Body::empty(),
        )
        .await
    }

    pub async fn post_json(&self, path: &str, token: &str, body: serde_json::Value) -> Resp {
        self.request(
            Method::POST,
            path,
            Some(token),
            &[("content-type", "application/json")],
            body.to_string(),
        )
        .await
    }

    pub async fn put_json(&self, path: &str, token: &str, body: serde_json::Value) -> Resp {
        self.request(
            Method::PUT,
            path,
            Some(token),
            &[("content-type", "application/json")],
            body.to_string(),
        )
        .await
    }

    pub async fn push(&self, service: &str, token: &str, content_type: &str, body: impl Into<Body>) -> Resp {
        self.request(
            Method::POST,
            &format!("/v1/services/{service}/versions"),
            Some(token),
            &[("content-type", content_type)],
            body,
        )
        .await
    }

    /// Creates a service with a default scope.
    pub async fn service(&self, name: &str) {
        let r = self
            .post_json("/v1/services", &self.admin(), serde_json::json!({ "name": name }))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }

    /// Binds `service` in dev to a database and asks for a plan to its latest version (the
    /// answer, computed when it is quick).
    pub async fn plan_in_dev(&self, service: &str, database_url: &str) -> Resp {
        let admin = self.admin();
        let bound = self
            .put_json(
                &format!("/v1/services/{service}/environments/dev"),
                &admin,
                serde_json::json!({ "database_url": database_url }),
            )
            .await;
        assert!(bound.status.is_success(), "{}", bound.text);
        self.post_json(
            &format!("/v1/services/{service}/environments/dev/plans"),
            &admin,
            serde_json::json!({}),
        )
        .await
    }

    /// What the store holds, in one comparable text (to show a failed request changed nothing).
    pub async fn contents(&self) -> String {
        let mut out = String::new();
        for s in self.store.services(None, 1000).await.unwrap() {
            out.push_str(&format!("service {} {:?}\n", s.name, s.scope));
            for v in self.store.versions(&s.name, None, 1000).await.unwrap() {
                out.push_str(&format!("  version {} {}\n", v.number, v.digest));
            }
            for p in self.store.plans(&s.name, None, None, 1000).await.unwrap() {
                out.push_str(&format!("  plan {} {:?}\n", p.id, p.state));
            }
        }
        for e in self.store.environments().await.unwrap() {
            out.push_str(&format!("environment {} {}\n", e.name, e.position));
        }
        for b in self.store.bindings().await.unwrap() {
            out.push_str(&format!(
                "binding {} {} {} {:?}\n",
                b.service, b.environment, b.secret, b.drift
            ));
        }
        out
    }

    /// No response seen so far, and no log line of this test binary, holds the test password.
    pub fn assert_no_secret_shown(&self) {
        for text in self.seen.lock().unwrap().iter() {
            assert!(
                !text.contains(PASSWORD),
                "a response shows the database password: {text}"
            );
        }
        let logs = String::from_utf8_lossy(&logs().lock().unwrap()).to_string();
        assert!(logs.contains("request"), "the requests were logged");
        assert!(!logs.contains(PASSWORD), "a log line shows the database password");
    }
}

/// A URL of the test database with [`PASSWORD`] in it (test servers trust, so it is ignored).
pub fn url_with_password(db: &TestDb) -> String {
    db.url_with_password(PASSWORD)
}

fn method_of(m: &Method) -> String {
    m.as_str().to_ascii_lowercase()
}

/// The committed OpenAPI document.
pub fn document() -> &'static serde_json::Value {
    static DOC: OnceLock<serde_json::Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi/openapi.json");
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    })
}

/// The document's path template that a request path matches (the one with the fewest
/// parameters, so `/versions/latest` is not taken for a literal segment elsewhere).
pub fn template_of(path: &str) -> Option<&'static str> {
    let path = path.split('?').next().unwrap_or(path);
    let segments: Vec<&str> = path.split('/').collect();
    document()["paths"]
        .as_object()?
        .keys()
        .filter(|t| {
            let ts: Vec<&str> = t.split('/').collect();
            ts.len() == segments.len()
                && ts
                    .iter()
                    .zip(&segments)
                    .all(|(t, s)| (t.starts_with('{') && !s.is_empty()) || t == s)
        })
        .min_by_key(|t| t.matches('{').count())
        .map(String::as_str)
}

/// Every answer of every HTTP test must be one the document lists for its operation: the
/// router's handlers walked against the document by the whole suite.
pub fn assert_documented(method: &str, path: &str, status: u16, text: &str) {
    let Some(template) = template_of(path) else { return };
    let Some(op) = document()["paths"][template].get(method) else {
        return;
    };
    let responses = &op["responses"];
    assert!(
        responses.get(status.to_string()).is_some() || responses.get("default").is_some(),
        "{} {path} answered {status}, which the document does not list for {} {template}: {text}",
        method.to_uppercase(),
        method.to_uppercase()
    );
}
