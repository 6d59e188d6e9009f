//! The LOG-158 models promoted dev → staging → production through three real databases, each
//! loaded with `live_before.sql` and its rows: dev applied by the registry with no approval,
//! staging with one approver, production with two distinct approvers and an admin's extra
//! approval for the dropped enum types. Each ends verified, every row still there, and the
//! audit log holds every action in order.

use crate::common::*;
use crate::http::{Api, Backend};
use axum::http::StatusCode;
use schemareg::auth::Role;
use serde_json::{Value, json};

async fn act(api: &Api, id: &str, what: &str, token: &str) -> crate::http::Resp {
    api.post_json(&format!("/v1/plans/{id}/{what}"), token, json!({"comment": "reviewed"}))
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn log158_promoted_through_three_databases() {
    let api = Api::new(Backend::Sqlite).await;
    let admin = api.token_for("root", &[Role::Admin]);
    let deployer = api.token_for("dana", &[Role::Deployer]);
    let alice = api.token_for("alice", &[Role::Approver]);
    let bob = api.token_for("bob", &[Role::Approver]);
    let r = api
        .post_json(
            "/v1/services",
            &admin,
            json!({"name": "log158", "scope": {"presets": ["supabase"]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let models = read(&fixture("log158_models.sql"));
    let r = api
        .push(
            "log158",
            &api.token_for("paul", &[Role::Publisher]),
            "application/sql",
            models,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let envs = ["dev", "staging", "production"];
    let live_sql = read(&live_before());
    let dbs = [
        loaded(&live_sql).await,
        loaded(&live_sql).await,
        loaded(&live_sql).await,
    ];
    let mut rows = Vec::new();
    for (env, db) in envs.iter().zip(&dbs) {
        rows.push(counts(db).await);
        let r = api
            .put_json(
                &format!("/v1/services/log158/environments/{env}"),
                &admin,
                json!({"database_url": db.url(), "scope": {"presets": ["supabase"]}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }

    let mut plan_ids = Vec::new();
    for env in envs {
        let created = api
            .post_json(
                &format!("/v1/services/log158/environments/{env}/plans"),
                &deployer,
                json!({}),
            )
            .await;
        assert!(created.status.is_success(), "{env}: {}", created.text);
        let plan = api.settled(created.json()["id"].as_str().unwrap(), &api.admin()).await;
        let id = plan["id"].as_str().unwrap().to_string();
        assert!(
            plan["hazards"].as_array().unwrap().contains(&json!("drops_object")),
            "{plan}"
        );
        match env {
            "dev" => assert_eq!(plan["state"], "approved", "dev needs no approval: {plan}"),
            "staging" => {
                assert_eq!(plan["state"], "pending_approval");
                act(&api, &id, "apply", &deployer).await.problem(409);
                assert_eq!(act(&api, &id, "approvals", &alice).await.json()["state"], "approved");
            }
            _ => {
                assert_eq!(plan["state"], "pending_approval");
                assert_eq!(
                    act(&api, &id, "approvals", &alice).await.json()["state"],
                    "pending_approval"
                );
                let p = act(&api, &id, "approvals", &alice).await.problem(409);
                assert!(p["detail"].as_str().unwrap().contains("counts once"), "{p}");
                let after_bob = act(&api, &id, "approvals", &bob).await.json();
                assert_eq!(
                    after_bob["state"], "pending_approval",
                    "the dropped types need an admin: {after_bob}"
                );
                act(&api, &id, "apply", &deployer).await.problem(409);
                assert_eq!(act(&api, &id, "approvals", &admin).await.json()["state"], "approved");
            }
        }
        let applied = act(&api, &id, "apply", &deployer).await;
        assert!(applied.status.is_success(), "{env}: {}", applied.text);
        let done = api.settled(&id, &api.admin()).await;
        assert_eq!(done["state"], "verified", "{env}: {done}");
        plan_ids.push(id);
    }
    for (i, db) in dbs.iter().enumerate() {
        assert_eq!(counts(db).await, rows[i], "{}: every row is still there", envs[i]);
        let drift = api
            .get(&format!("/v1/services/log158/environments/{}/drift", envs[i]), &admin)
            .await
            .json();
        assert_eq!(drift["state"], "in_sync", "{}: {drift}", envs[i]);
    }
    let overview = api.get("/v1/overview", &admin).await.json();
    for placement in overview["services"][0]["environments"].as_array().unwrap() {
        assert_eq!(
            (
                placement["applied_version"].as_i64(),
                placement["verified_version"].as_i64()
            ),
            (Some(1), Some(1))
        );
    }

    // The audit log holds every action of the promotion, in order.
    let mut entries = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = api
            .get(&format!("/v1/audit?service=log158&limit=100{cursor}"), &admin)
            .await
            .json();
        entries.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    // Each step of each apply is an entry of its own (17 steps per environment).
    let steps: Vec<&Value> = entries.iter().filter(|e| e["action"] == "plan.step").collect();
    assert_eq!(steps.len(), 3 * 17);
    assert!(
        steps
            .iter()
            .all(|e| e["outcome"] == "ok" && e["detail"]["committed"] == true)
    );
    let log = json!(entries);
    let actions: Vec<String> = entries
        .iter()
        .filter(|e| e["action"] != "plan.step")
        .map(|e| {
            format!(
                "{} {} {}",
                e["action"].as_str().unwrap(),
                e["environment"].as_str().unwrap_or("-"),
                e["subject"].as_str().unwrap()
            )
        })
        .collect();
    let expected = [
        "service.create - root",
        "version.push - paul",
        "binding.put dev root",
        "binding.put staging root",
        "binding.put production root",
        "plan.create dev dana",
        "plan.computed dev registry",
        "plan.apply.start dev dana",
        "plan.apply dev registry",
        "plan.create staging dana",
        "plan.computed staging registry",
        "plan.approve staging alice",
        "plan.approved staging registry",
        "plan.apply.start staging dana",
        "plan.apply staging registry",
        "plan.create production dana",
        "plan.computed production registry",
        "plan.approve production alice",
        "plan.approve production bob",
        "plan.approve production root",
        "plan.approved production registry",
        "plan.apply.start production dana",
        "plan.apply production registry",
    ];
    assert_eq!(actions, expected, "{log:#}");
    let denied = api.get("/v1/audit?outcome=denied&limit=100", &admin).await.json();
    assert_eq!(
        denied["items"].as_array().unwrap().len(),
        0,
        "409s are refusals of state, not of rights"
    );
}
