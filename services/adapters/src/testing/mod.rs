//! Test support: a uniquely named database per test, dropped afterwards.
//!
//! The server is `$DATABASE_URL` (set by `make test`, which finds or starts one), else
//! `postgres://postgres@127.0.0.1:5432/postgres`.

pub mod fixtures;

use tokio_postgres::Client;

use crate::pg::Target;
use crate::scratch::ScratchServer;

/// The test server's admin URL.
pub fn server_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// The test server as a scratch server.
pub async fn scratch() -> ScratchServer {
    ScratchServer::connect(&server_url())
        .await
        .unwrap_or_else(|e| panic!("the test PostgreSQL is not usable ({e}); run the tests with `make test`"))
}

/// A database of its own for one test; dropped (with `FORCE`) when the value is dropped.
pub struct TestDb {
    pub name: String,
    target: Target,
    admin: Target,
}

impl TestDb {
    /// Creates `test_<random>` from `template0`.
    pub async fn new() -> Self {
        let admin = Target::parse(&server_url()).expect("DATABASE_URL is a valid URL");
        let name = format!("test_{}", crate::random_hex(8));
        let client = admin
            .connect()
            .await
            .unwrap_or_else(|e| panic!("the test PostgreSQL is not reachable ({e}); run the tests with `make test`"));
        client
            .batch_execute(&format!(
                "CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
            ))
            .await
            .expect("create a test database");
        let target = admin.with_database(&name);
        Self { name, target, admin }
    }

    /// A URL for the database (no password on test servers).
    pub fn url(&self) -> String {
        let base = server_url();
        match base.split_once("://") {
            Some((scheme, rest)) => {
                let (auth, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
                let query = tail.split_once('?').map(|(_, q)| format!("?{q}")).unwrap_or_default();
                format!("{scheme}://{auth}/{}{query}", self.name)
            }
            None => base,
        }
    }

    /// The role its connections are (`current_user`).
    pub async fn current_user(&self) -> String {
        self.client()
            .await
            .query_one("SELECT current_user::text", &[])
            .await
            .unwrap()
            .get(0)
    }

    /// The URL with a password (test servers ignore it; the registry wants one to keep secret).
    pub fn url_with_password(&self, password: &str) -> String {
        let url = self.url();
        match url
            .split_once("://")
            .and_then(|(scheme, rest)| Some((scheme, rest.split_once('@')?)))
        {
            Some((scheme, (auth, tail))) => {
                let user = auth.split(':').next().unwrap_or(auth);
                format!("{scheme}://{user}:{password}@{tail}")
            }
            None => url,
        }
    }

    pub async fn client(&self) -> Client {
        self.target.connect().await.expect("connect to the test database")
    }

    /// Runs a script in the database.
    pub async fn execute(&self, sql: &str) {
        self.client()
            .await
            .batch_execute(sql)
            .await
            .unwrap_or_else(|e| panic!("{}: {sql}", crate::pg::error_text(&e)));
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(c) = admin.connect().await {
                    let _ = c
                        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                }
            });
        })
        .join();
    }
}

/// Names of the databases on the test server that start with a prefix (to check that none
/// is left behind).
pub async fn databases_like(prefix: &str) -> Vec<String> {
    names_like(
        "SELECT datname::text FROM pg_database WHERE starts_with(datname, $1) ORDER BY 1",
        prefix,
    )
    .await
}

/// The roles of the test server whose names start with `prefix`.
pub async fn roles_like(prefix: &str) -> Vec<String> {
    names_like(
        "SELECT rolname::text FROM pg_roles WHERE starts_with(rolname, $1) ORDER BY 1",
        prefix,
    )
    .await
}

async fn names_like(query: &str, prefix: &str) -> Vec<String> {
    let admin = Target::parse(&server_url()).unwrap();
    let c = admin.connect().await.unwrap();
    c.query(query, &[&prefix])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}
