//! `make bench` (part 7): the console's pages on loopback, for the LOG-158 data of
//! `schemareg serve --demo` (the release binary; dev verified, a staging plan waiting, a
//! version 2 pushed for the diff). Each page is read by 4 keep-alive clients for 3 s (operators
//! reading pages, not a load test); p50 and p99 are printed next to the budget: < 50 ms p99.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;

const CLIENTS: usize = 4;
const SECONDS: u64 = 3;
const BUDGET_MS: f64 = 50.0;

/// The demo registry, stopped when dropped.
struct Demo {
    child: Child,
    base: String,
    printed: String,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT);
        let _ = self.child.wait();
    }
}

fn start(dir: &std::path::Path) -> Demo {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let binary = std::env::current_dir().unwrap().join("../../target/release/schemareg");
    let mut cmd = Command::new(binary);
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("SCHEMAREG_")) {
        cmd.env_remove(k);
    }
    let mut child = cmd
        .args(["serve", "--demo"])
        .current_dir(dir)
        .env("SCHEMAREG_LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the release binary (make bench builds it)");
    let mut printed = String::new();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    while !printed.contains("go away when the registry stops") {
        match lines.next() {
            Some(Ok(line)) => {
                printed.push_str(&line);
                printed.push('\n');
            }
            _ => panic!("the demo stopped before it was ready:\n{printed}"),
        }
    }
    // The rest of its output is not read: drained so the registry never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Demo {
        child,
        base: format!("http://127.0.0.1:{port}"),
        printed,
    }
}

impl Demo {
    fn token(&self, who: &str) -> String {
        let mut lines = self.printed.lines();
        lines
            .find(|l| l.trim_start().starts_with(&format!("{who} (")))
            .and_then(|_| lines.next())
            .map(|l| l.trim().to_string())
            .expect("a token per role")
    }

    fn staging_plan(&self) -> String {
        let line = self
            .printed
            .lines()
            .find(|l| l.starts_with("The staging plan: "))
            .unwrap();
        line.rsplit('/').next().unwrap().to_string()
    }
}

/// p50 and p99 (ms) and the count of reads of `path` by CLIENTS clients for SECONDS.
async fn load(http: &reqwest::Client, base: &str, cookie: &str, path: &str) -> (f64, f64, usize) {
    let deadline = Instant::now() + Duration::from_secs(SECONDS);
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (http, url, cookie) = (http.clone(), format!("{base}{path}"), cookie.to_string());
            tokio::spawn(async move {
                let mut times = Vec::new();
                while Instant::now() < deadline {
                    let start = Instant::now();
                    let answer = http.get(&url).header("cookie", &cookie).send().await.unwrap();
                    let status = answer.status();
                    let _ = answer.bytes().await.unwrap();
                    assert_eq!(status, 200, "GET {url}");
                    times.push(start.elapsed());
                }
                times
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort();
    let at = |q: usize| all[(all.len() * q / 100).min(all.len() - 1)].as_secs_f64() * 1000.0;
    (at(50), at(99), all.len())
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let demo = start(dir.path());
    runtime.block_on(async {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let base = &demo.base;
        // Version 2: version 1 and a table more, for the diff page.
        let models = std::fs::read_to_string("../../tests/fixtures/log158_models.sql").unwrap();
        let pushed = http
            .post(format!("{base}/v1/services/log158/versions"))
            .bearer_auth(demo.token("ci"))
            .header("content-type", "application/sql")
            .body(format!("{models}\nCREATE TABLE public.notes (id bigint PRIMARY KEY);\n"))
            .send()
            .await
            .unwrap();
        assert_eq!(pushed.status(), 201);
        let cookie = common::session::console_session(&http, base, &demo.token("ada")).await;
        let plan = demo.staging_plan();
        println!(
            "Console pages on loopback ({CLIENTS} clients, {SECONDS} s each; LOG-158 from `serve --demo`, release build, SQLite store)"
        );
        let pages = [
            ("sign-in", "/ui/sign-in".to_string()),
            ("overview", "/ui".to_string()),
            ("plan (staging, pending)", format!("/ui/plans/{plan}")),
            ("version 1 (DDL)", "/ui/services/log158/versions/1".to_string()),
            ("diff 1 → 2", "/ui/services/log158/diff?from=1&to=2".to_string()),
            ("drift (dev)", "/ui/services/log158/environments/dev/drift".to_string()),
            ("audit log", "/ui/audit".to_string()),
        ];
        let mut over = Vec::new();
        for (name, path) in pages {
            let (p50, p99, n) = load(&http, base, &cookie, &path).await;
            let verdict = if p99 < BUDGET_MS { "within" } else { "OVER" };
            println!(
                "  {name:<26} {n:>6} reads   p50 {p50:>6.2} ms   p99 {p99:>6.2} ms   ({verdict} the {BUDGET_MS:.0} ms budget)"
            );
            if p99 >= BUDGET_MS {
                over.push(name);
            }
        }
        if !over.is_empty() {
            println!("  pages over budget: {}", over.join(", "));
        }
    });
}
