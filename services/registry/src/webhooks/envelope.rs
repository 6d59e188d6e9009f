//! An event as a receiver gets it: CloudEvents 1.0 in structured mode (one JSON document with
//! the attributes and the data), the data carrying a short summary a person can read in a chat
//! message and links to what the event is about.

use schemareg_adapters::store::{Event, EventKind};
use serde_json::{Value, json};

/// The media type of a structured CloudEvent in JSON.
pub const CONTENT_TYPE: &str = "application/cloudevents+json";

/// The CloudEvent of `event`, with links under `base` (the registry's public URL).
pub fn cloud_event(event: &Event, base: &str) -> Value {
    let mut data = event.data.clone();
    let service = event.service.as_deref().unwrap_or_default();
    let mut links = serde_json::Map::new();
    if !service.is_empty() {
        links.insert("service".into(), json!(format!("{base}/v1/services/{service}")));
    }
    match event.kind {
        EventKind::VersionPushed => {
            links.insert(
                "version".into(),
                json!(format!("{base}/v1/services/{service}/versions/{}", event.subject)),
            );
        }
        EventKind::DriftDetected | EventKind::DriftResolved | EventKind::DriftUnknown | EventKind::DriftReadable => {
            let environment = event.environment.as_deref().unwrap_or_default();
            links.insert(
                "drift".into(),
                json!(format!("{base}/v1/services/{service}/environments/{environment}/drift")),
            );
        }
        _ => {
            links.insert("plan".into(), json!(format!("{base}/v1/plans/{}", event.subject)));
        }
    }
    if let Some(map) = data.as_object_mut() {
        map.insert("summary".into(), json!(summary(event)));
        map.insert("links".into(), Value::Object(links));
    }
    json!({
        "specversion": "1.0",
        "id": event.id,
        "source": if service.is_empty() { format!("{base}/v1") } else { format!("{base}/v1/services/{service}") },
        "type": event.kind.as_str(),
        "subject": event.subject,
        "time": event.at,
        "datacontenttype": "application/json",
        "data": data,
    })
}

/// One line about the event: what, where, which version, hazards, who.
pub fn summary(event: &Event) -> String {
    let d = &event.data;
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let service = text(&d["service"]);
    let environment = text(&d["environment"]);
    let by = text(&d["by"]);
    let plan = &d["plan"];
    let version = plan["to_version"].as_i64().unwrap_or_default();
    let hazards: Vec<String> = plan["hazards"]
        .as_array()
        .map(|h| h.iter().map(text).collect())
        .unwrap_or_default();
    let hazards = if hazards.is_empty() {
        "no hazards".to_string()
    } else {
        format!("hazards: {}", hazards.join(", "))
    };
    let about = format!("{service} → {environment}: plan {} (version {version})", event.subject);
    let error = plan["error"]
        .as_str()
        .map(|e| format!(": {}", crate::text::clip(e, 200)));
    match event.kind {
        EventKind::VersionPushed => {
            let v = &d["version"];
            let commit = v["commit"]
                .as_str()
                .map(|c| format!(" at commit {}", crate::text::clip(c, 12)))
                .unwrap_or_default();
            format!(
                "{service}: version {} ({}) pushed by {by}{commit}",
                v["number"],
                crate::text::clip(&text(&v["digest"]), 19)
            )
        }
        EventKind::PlanComputed => format!(
            "{about} computed by the registry: {} steps, {hazards}; requested by {}",
            plan["steps"].as_i64().unwrap_or_default(),
            text(&plan["requested_by"])
        ),
        EventKind::PlanPendingApproval => format!(
            "{about} waits for approval ({hazards}); requested by {}",
            text(&plan["requested_by"])
        ),
        EventKind::PlanApproved if by == "policy" => {
            format!("{about} approved by the environment's policy (no approval needed; {hazards})")
        }
        EventKind::PlanApproved => format!("{about} approved by {by} ({hazards})"),
        EventKind::PlanRejected => format!("{about} rejected by {by}{}", error.unwrap_or_default()),
        EventKind::PlanApplied => format!("{about} applied by {by}"),
        EventKind::PlanVerified => format!("{about} verified: the database equals version {version}"),
        EventKind::PlanFailed => format!("{about} failed{}", error.unwrap_or_default()),
        EventKind::PlanStale => format!("{about} is stale: the database changed since it was computed; plan again"),
        EventKind::DriftDetected => format!(
            "{service} in {environment} drifted from version {}: {} objects differ",
            d["drift"]["version"],
            d["drift"]["changed_objects"].as_i64().unwrap_or_default()
        ),
        EventKind::DriftResolved => format!(
            "{service} in {environment} equals version {} again",
            d["drift"]["version"]
        ),
        EventKind::DriftUnknown => format!(
            "{service} in {environment} cannot be read: its drift is unknown ({})",
            crate::text::clip(&text(&d["drift"]["reason"]), 200)
        ),
        EventKind::DriftReadable => format!(
            "{service} in {environment} can be read again: {}",
            match d["drift"]["state"].as_str() {
                Some("in_sync") => format!("it equals version {}", d["drift"]["version"]),
                _ => format!(
                    "still drifted from version {} ({} objects differ)",
                    d["drift"]["version"],
                    d["drift"]["changed_objects"].as_i64().unwrap_or_default()
                ),
            }
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use schemareg_adapters::store::{NewEvent, PlanBody, PlanRecord, PlanState};

    fn stored(e: NewEvent) -> Event {
        Event {
            id: "evt_1".into(),
            kind: e.kind,
            service: e.service,
            environment: e.environment,
            subject: e.subject,
            at: "2026-11-26T10:00:00.000Z".into(),
            data: e.data,
        }
    }

    fn plan() -> PlanRecord {
        PlanRecord {
            id: "p1".into(),
            service: "log158".into(),
            environment: "staging".into(),
            to_version: 3,
            to_digest: "sha256:ab".into(),
            from_fingerprint: None,
            state: PlanState::PendingApproval,
            body: None::<PlanBody>,
            verification: None,
            error: None,
            requested_by: "ci".into(),
            created_at: String::new(),
            updated_at: String::new(),
            plan_digest: None,
            override_reason: None,
            steps_log: None,
        }
    }

    #[test]
    fn a_plan_event_is_a_structured_cloud_event_with_a_summary_and_a_link() {
        let e = stored(NewEvent::plan(EventKind::PlanPendingApproval, &plan(), "registry"));
        let ce = cloud_event(&e, "https://registry.example");
        assert_eq!(ce["specversion"], "1.0");
        assert_eq!(ce["type"], "plan.pending_approval");
        assert_eq!(ce["source"], "https://registry.example/v1/services/log158");
        assert_eq!(ce["subject"], "p1");
        assert_eq!(ce["data"]["links"]["plan"], "https://registry.example/v1/plans/p1");
        assert_eq!(
            ce["data"]["summary"],
            "log158 → staging: plan p1 (version 3) waits for approval (no hazards); requested by ci"
        );
        let approved = stored(NewEvent::plan(EventKind::PlanApproved, &plan(), "alice"));
        assert_eq!(
            summary(&approved),
            "log158 → staging: plan p1 (version 3) approved by alice (no hazards)"
        );
    }
}
