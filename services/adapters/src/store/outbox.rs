//! The outbox: events the registry tells webhook subscribers about, written by the store in
//! the same transaction as the state change that causes each (a plan approved, a version
//! pushed, drift found), with one delivery queued for every subscription the event matches.
//! A change that commits has its events; one that rolls back has none.

use serde_json::{Value, json};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{DriftRecord, PlanRecord, Store, StoreError, Version, json_column, now};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EventKind {
    VersionPushed,
    PlanComputed,
    PlanPendingApproval,
    PlanApproved,
    PlanRejected,
    PlanApplied,
    PlanVerified,
    PlanFailed,
    PlanStale,
    DriftDetected,
    DriftResolved,
    DriftUnknown,
    DriftReadable,
}

impl EventKind {
    pub const ALL: [EventKind; 13] = [
        EventKind::VersionPushed,
        EventKind::PlanComputed,
        EventKind::PlanPendingApproval,
        EventKind::PlanApproved,
        EventKind::PlanRejected,
        EventKind::PlanApplied,
        EventKind::PlanVerified,
        EventKind::PlanFailed,
        EventKind::PlanStale,
        EventKind::DriftDetected,
        EventKind::DriftResolved,
        EventKind::DriftUnknown,
        EventKind::DriftReadable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::VersionPushed => "version.pushed",
            EventKind::PlanComputed => "plan.computed",
            EventKind::PlanPendingApproval => "plan.pending_approval",
            EventKind::PlanApproved => "plan.approved",
            EventKind::PlanRejected => "plan.rejected",
            EventKind::PlanApplied => "plan.applied",
            EventKind::PlanVerified => "plan.verified",
            EventKind::PlanFailed => "plan.failed",
            EventKind::PlanStale => "plan.stale",
            EventKind::DriftDetected => "drift.detected",
            EventKind::DriftResolved => "drift.resolved",
            EventKind::DriftUnknown => "drift.unknown",
            EventKind::DriftReadable => "drift.readable",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// An event to write.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub kind: EventKind,
    pub service: Option<String>,
    pub environment: Option<String>,
    /// What it is about: a plan's id, a version's number, a binding's environment.
    pub subject: String,
    pub data: Value,
}

impl NewEvent {
    /// An event about a plan, as the store now holds it, caused by `by`.
    pub fn plan(kind: EventKind, plan: &PlanRecord, by: &str) -> Self {
        let body = plan.body.as_ref();
        let hazards: Vec<&str> = body
            .map(|b| b.hazards.iter().map(|h| h.as_str()).collect())
            .unwrap_or_default();
        NewEvent {
            kind,
            service: Some(plan.service.clone()),
            environment: Some(plan.environment.clone()),
            subject: plan.id.clone(),
            data: json!({
                "service": plan.service,
                "environment": plan.environment,
                "by": by,
                "plan": {
                    "id": plan.id,
                    "state": plan.state.as_str(),
                    "to_version": plan.to_version,
                    "to_digest": plan.to_digest,
                    "plan_digest": plan.plan_digest,
                    "steps": body.map(|b| b.plan.steps.len()),
                    "hazards": hazards,
                    "requested_by": plan.requested_by,
                    "error": plan.error,
                },
            }),
        }
    }

    /// A new version, pushed by its publisher.
    pub fn version(v: &Version) -> Self {
        NewEvent {
            kind: EventKind::VersionPushed,
            service: Some(v.service.clone()),
            environment: None,
            subject: v.number.to_string(),
            data: json!({
                "service": v.service,
                "by": v.pushed_by,
                "version": {
                    "number": v.number,
                    "digest": v.digest,
                    "source": v.source,
                    "commit": v.commit,
                    "pipeline_url": v.pipeline_url,
                    "labels": v.labels,
                },
            }),
        }
    }

    /// A binding's database found drifted, or back in sync.
    pub fn drift(kind: EventKind, service: &str, environment: &str, drift: &DriftRecord) -> Self {
        NewEvent {
            kind,
            service: Some(service.into()),
            environment: Some(environment.into()),
            subject: environment.into(),
            data: json!({
                "service": service,
                "environment": environment,
                "by": "registry",
                "drift": {
                    "state": drift.state.as_str(),
                    "version": drift.version,
                    "changed_objects": drift.changed,
                    "checked_at": drift.checked_at,
                    "reason": drift.reason,
                },
            }),
        }
    }
}

/// A stored event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: String,
    pub kind: EventKind,
    pub service: Option<String>,
    pub environment: Option<String>,
    pub subject: String,
    pub at: String,
    pub data: Value,
}

pub(crate) const EVENT_COLUMNS: &str = "e.id AS event_id, e.type AS event_type, e.service AS event_service, \
     e.environment AS event_environment, e.subject AS event_subject, e.at AS event_at, e.data AS event_data";

/// The event of a row selected with [`EVENT_COLUMNS`].
pub(crate) fn event(row: &AnyRow) -> Result<Event, StoreError> {
    let kind: String = row.try_get("event_type")?;
    Ok(Event {
        id: row.try_get("event_id")?,
        kind: EventKind::parse(&kind).ok_or(StoreError::Corrupt {
            what: "event type",
            message: kind,
        })?,
        service: row.try_get("event_service")?,
        environment: row.try_get("event_environment")?,
        subject: row.try_get("event_subject")?,
        at: row.try_get("event_at")?,
        data: json_column("event data", &row.try_get::<String, _>("event_data")?)?,
    })
}

/// A random identifier with a prefix: `evt_` and 20 hexadecimal digits.
pub(crate) fn random_id(prefix: &str) -> String {
    format!("{prefix}{}", crate::random_hex(10))
}

impl Store {
    /// Writes events on `conn` (inside the caller's transaction) and queues a delivery of each
    /// to every active subscription whose events and filters it matches.
    pub(crate) async fn write_events(&self, conn: &mut AnyConnection, events: &[NewEvent]) -> Result<(), StoreError> {
        for e in events {
            let id = random_id("evt_");
            let at = now();
            let seq = format!("{at}{:012}{}", self.next_sequence(), self.writer);
            sqlx::query(
                "INSERT INTO events (id, seq, type, service, environment, subject, at, data) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&id)
            .bind(&seq)
            .bind(e.kind.as_str())
            .bind(e.service.as_deref())
            .bind(e.environment.as_deref())
            .bind(&e.subject)
            .bind(&at)
            .bind(e.data.to_string())
            .execute(&mut *conn)
            .await?;
            sqlx::query(
                "INSERT INTO webhook_deliveries (id, webhook_id, event_id, seq, state, attempts, since, next_at) \
                 SELECT 'msg_' || substr($1, 5) || '_' || substr(w.id, 4), w.id, $1, $2, 'pending', 0, $3, $3 \
                 FROM webhooks w WHERE w.active = 1 AND (w.events = '*' OR w.events LIKE $4) \
                 AND (w.service IS NULL OR w.service = $5) AND (w.environment IS NULL OR w.environment = $6)",
            )
            .bind(&id)
            .bind(&seq)
            .bind(&at)
            .bind(format!("%,{},%", e.kind.as_str()))
            .bind(e.service.as_deref().unwrap_or(""))
            .bind(e.environment.as_deref().unwrap_or(""))
            .execute(&mut *conn)
            .await?;
        }
        if !events.is_empty() {
            self.events_written.notify_one();
        }
        Ok(())
    }

    /// Waits until this process writes an event (a delivery worker's cue to look at once).
    pub async fn event_written(&self) {
        self.events_written.notified().await;
    }

    fn next_sequence(&self) -> u64 {
        self.sequence.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_names_round_trip() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Some(k));
        }
    }
}
