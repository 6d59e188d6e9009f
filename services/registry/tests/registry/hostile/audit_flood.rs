//! The audit log cannot be filled by anyone (issue 31, item 2): each request without a valid
//! token wrote an entry of its own with the whole `User-Agent` (300 requests with a 60 KB
//! header added 18 MB in 2.7 s). Every stored text is clipped, and denials of requests
//! without a valid token from one address within a minute are counted in one entry.

use schemareg::auth::Role;

use crate::served::{Served, call, token_as};

#[tokio::test(flavor = "multi_thread")]
async fn a_flood_of_denied_requests_takes_a_few_entries_of_bounded_size() {
    let served = Served::start(&[("SCHEMAREG_DRIFT_WATCH", "false"), ("SCHEMAREG_WEBHOOKS", "false")]).await;
    let base = served.base();
    let agent = "A".repeat(60_000);
    let request_id = "R".repeat(2_000);
    let reader = token_as("reader-bot", &[Role::Reader]);
    let http = reqwest::Client::new();
    let started = std::time::Instant::now();
    let send = |token: Option<&str>| {
        let mut r = http
            .post(format!("{base}/v1/services"))
            .header("user-agent", &agent)
            .header("x-request-id", &request_id)
            .header("content-type", "application/json")
            .body("{\"name\": \"x\"}");
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send()
    };
    for i in 0..300 {
        let token = if i % 2 == 0 { None } else { Some("not-a-token") };
        assert_eq!(send(token).await.unwrap().status().as_u16(), 401);
    }
    // Denials of a valid token are the subject's own entries, clipped.
    for _ in 0..30 {
        assert_eq!(send(Some(&reader)).await.unwrap().status().as_u16(), 403);
    }
    let took = started.elapsed();
    // Counts are written once a second: read until they are all in (however loaded the
    // machine), for fifteen seconds at most.
    let counted_in = |audit: &serde_json::Value| -> i64 {
        audit["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter(|e| e["subject"] == "anonymous")
                    .filter_map(|e| e["repeats"].as_i64())
                    .sum()
            })
            .unwrap_or(0)
    };
    let mut audit = serde_json::Value::Null;
    for _ in 0..150 {
        let (status, read) = call(&base, "GET", "/v1/audit?action=denied&limit=100", None);
        assert_eq!(status, 200, "{read}");
        audit = read;
        if counted_in(&audit) >= 300 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let items = audit["items"].as_array().unwrap();
    let anonymous: Vec<&serde_json::Value> = items.iter().filter(|e| e["subject"] == "anonymous").collect();
    // One entry a minute (two when the requests straddle one).
    assert!(
        (1..=2).contains(&anonymous.len()),
        "{} anonymous entries",
        anonymous.len()
    );
    let counted: i64 = anonymous.iter().map(|e| e["repeats"].as_i64().unwrap()).sum();
    assert_eq!(counted, 300, "every denial is counted");
    let own: Vec<&serde_json::Value> = items.iter().filter(|e| e["subject"] == "reader-bot").collect();
    assert_eq!(own.len(), 30);
    for e in items {
        let agent = e["user_agent"].as_str().unwrap();
        assert!(
            agent.chars().count() <= 257,
            "a user agent of {} characters kept",
            agent.len()
        );
        assert!(e["request_id"].as_str().unwrap().chars().count() <= 129);
    }
    // What the log keeps of them: the entries, as the API gives them back.
    let kept: usize = items.iter().map(|e| e.to_string().len()).sum();
    eprintln!(
        "audit flood: 330 denied requests with a 60 KB user agent in {took:?}; the log keeps {kept} bytes of them"
    );
    assert!(
        kept < 32 * 1024,
        "the log keeps {kept} bytes of the flood (19.8 MB before the fix)"
    );
}
