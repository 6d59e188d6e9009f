//! Privilege-raising DDL is a hazard that says who will own the object; the default policies of
//! staging and production want an admin's approval for it.

use axum::http::StatusCode;
use schemareg_adapters::testing::TestDb;
use serde_json::{Value, json};

use crate::http::{Api, Backend};

const DEFINER: &str = "CREATE FUNCTION public.grant_me() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1';";

on_both_stores!(a_security_definer_function_is_a_hazard_naming_its_owner);

async fn a_security_definer_function_is_a_hazard_naming_its_owner(backend: Backend) {
    let api = Api::new(backend).await;
    let admin = api.admin();
    api.service("shop").await;
    let live = TestDb::new().await;
    let r = api.push("shop", &admin, "application/sql", DEFINER).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let plan = api.plan_in_dev("shop", &live.url()).await.json();
    assert_eq!(plan["hazards"], json!(["security_definer"]), "{plan}");
    let hazard = &plan["plan"]["steps"][0]["hazards"][0];
    let message = hazard["message"].as_str().unwrap();
    // The test server lets `postgres` in: it owns what the plan creates, as a superuser.
    let role: String = live
        .client()
        .await
        .query_one("SELECT current_user::text", &[])
        .await
        .unwrap()
        .get(0);
    assert!(message.contains(&role) && message.contains("superuser"), "{message}");
    assert!(
        message.contains("PUBLIC") && message.contains("search_path"),
        "{message}"
    );
    assert!(
        plan["sql"].as_str().unwrap().contains("hazard security_definer"),
        "{plan}"
    );

    for environment in ["staging", "production"] {
        let policy: Value = api
            .get(&format!("/v1/environments/{environment}/policy"), &admin)
            .await
            .json();
        for kind in ["security_definer", "untrusted_language", "weakens_row_security"] {
            assert!(
                policy["policy"]["admin_approval_hazards"]
                    .as_array()
                    .unwrap()
                    .contains(&json!(kind)),
                "{environment}: {policy}"
            );
        }
    }
}
