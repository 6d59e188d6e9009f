//! Webhook subscriptions and their deliveries: a queue per subscription in event order, each
//! delivery claimed with a lease by one registry of several, every attempt kept with the
//! receiver's answer.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::audit::append_all_in;
use super::outbox::{EVENT_COLUMNS, event};
use super::{Event, EventKind, NewAuditEntry, Store, StoreError, after, now};

/// A subscription to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebhook {
    pub id: String,
    pub url: String,
    /// The events it wants; none: every event.
    pub events: Option<Vec<EventKind>>,
    pub service: Option<String>,
    pub environment: Option<String>,
    /// The signing secret, encrypted by the registry.
    pub secret: String,
    pub description: String,
    pub created_by: String,
}

/// A stored subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: String,
    pub url: String,
    pub events: Option<Vec<EventKind>>,
    pub service: Option<String>,
    pub environment: Option<String>,
    /// The signing secret, encrypted: never shown.
    pub secret: String,
    pub description: String,
    pub active: bool,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
}

/// What an update changes; unset fields stay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookChange {
    pub url: Option<String>,
    pub events: Option<Option<Vec<EventKind>>>,
    pub description: Option<String>,
    pub active: Option<bool>,
}

/// Where a delivery is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Waiting for its first or next attempt.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Retried for the whole retry window without success.
    Dead,
}

impl DeliveryState {
    pub const ALL: [DeliveryState; 3] = [DeliveryState::Pending, DeliveryState::Delivered, DeliveryState::Dead];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// One event for one subscription.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// Also the `webhook-id` header: the same on every attempt.
    pub id: String,
    pub webhook_id: String,
    pub event: Event,
    /// Its place in the subscription's queue.
    pub seq: String,
    pub state: DeliveryState,
    pub attempts: i64,
    /// When this round of delivery began (created, or asked to be delivered again).
    pub since: String,
    pub next_at: String,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub delivered_at: Option<String>,
}

/// A delivery claimed to be sent, with where to and the encrypted secret to sign with.
#[derive(Debug, Clone, PartialEq)]
pub struct DueDelivery {
    pub delivery: Delivery,
    pub url: String,
    pub secret: String,
}

/// One attempt and the receiver's answer (or why there was none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub number: i64,
    pub at: String,
    pub duration_ms: i64,
    pub status: Option<i64>,
    /// The start of the answer's body.
    pub response: Option<String>,
    pub error: Option<String>,
}

/// What an attempt leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tried {
    Delivered,
    /// Tried again at this time.
    RetryAt(String),
    Dead,
}

const WEBHOOK_COLUMNS: &str =
    "id, url, events, service, environment, secret, description, active, created_by, created_at, updated_at";

const DELIVERY_COLUMNS: &str = "d.id, d.webhook_id, d.seq, d.state, d.attempts, d.since, d.next_at, d.last_status, \
     d.last_error, d.delivered_at";

fn events_text(events: &Option<Vec<EventKind>>) -> String {
    match events {
        None => "*".into(),
        Some(kinds) => {
            let mut names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
            names.sort_unstable();
            names.dedup();
            format!(",{},", names.join(","))
        }
    }
}

fn events_of(text: &str) -> Result<Option<Vec<EventKind>>, StoreError> {
    if text == "*" {
        return Ok(None);
    }
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| {
            EventKind::parse(s).ok_or_else(|| StoreError::Corrupt {
                what: "webhook events",
                message: s.to_string(),
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn webhook(row: &AnyRow) -> Result<Webhook, StoreError> {
    Ok(Webhook {
        id: row.try_get("id")?,
        url: row.try_get("url")?,
        events: events_of(&row.try_get::<String, _>("events")?)?,
        service: row.try_get("service")?,
        environment: row.try_get("environment")?,
        secret: row.try_get("secret")?,
        description: row.try_get("description")?,
        active: row.try_get::<i64, _>("active")? == 1,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn delivery(row: &AnyRow) -> Result<Delivery, StoreError> {
    let state: String = row.try_get("state")?;
    Ok(Delivery {
        id: row.try_get("id")?,
        webhook_id: row.try_get("webhook_id")?,
        event: event(row)?,
        seq: row.try_get("seq")?,
        state: DeliveryState::parse(&state).ok_or(StoreError::Corrupt {
            what: "delivery state",
            message: state,
        })?,
        attempts: row.try_get("attempts")?,
        since: row.try_get("since")?,
        next_at: row.try_get("next_at")?,
        last_status: row.try_get("last_status")?,
        last_error: row.try_get("last_error")?,
        delivered_at: row.try_get("delivered_at")?,
    })
}

impl Store {
    /// Creates a subscription and appends `audit`, in one transaction.
    pub async fn create_webhook(&self, new: &NewWebhook, audit: &[NewAuditEntry]) -> Result<Webhook, StoreError> {
        let at = now();
        let mut tx = self.pool.begin().await?;
        sqlx::query(&format!(
            "INSERT INTO webhooks ({WEBHOOK_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9, $9)"
        ))
        .bind(&new.id)
        .bind(&new.url)
        .bind(events_text(&new.events))
        .bind(new.service.as_deref())
        .bind(new.environment.as_deref())
        .bind(&new.secret)
        .bind(&new.description)
        .bind(&new.created_by)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        append_all_in(&mut tx, audit).await?;
        tx.commit().await?;
        self.existing_webhook(&new.id).await
    }

    /// Every subscription, oldest first.
    pub async fn webhooks(&self) -> Result<Vec<Webhook>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhooks ORDER BY created_at, id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(webhook).collect()
    }

    pub async fn existing_webhook(&self, id: &str) -> Result<Webhook, StoreError> {
        let row = sqlx::query(&format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("webhook {id:?} does not exist")))?;
        webhook(&row)
    }

    /// Changes a subscription and appends `audit`, in one transaction.
    pub async fn update_webhook(
        &self,
        id: &str,
        change: &WebhookChange,
        audit: &[NewAuditEntry],
    ) -> Result<Webhook, StoreError> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE webhooks SET url = COALESCE($2, url), events = COALESCE($3, events), \
             description = COALESCE($4, description), active = COALESCE($5, active), updated_at = $6 WHERE id = $1",
        )
        .bind(id)
        .bind(change.url.as_deref())
        .bind(change.events.as_ref().map(events_text))
        .bind(change.description.as_deref())
        .bind(change.active.map(i64::from))
        .bind(now())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("webhook {id:?} does not exist")));
        }
        append_all_in(&mut tx, audit).await?;
        tx.commit().await?;
        self.existing_webhook(id).await
    }

    /// Deletes a subscription with its deliveries and their attempts, and appends `audit`, in
    /// one transaction.
    pub async fn delete_webhook(&self, id: &str, audit: &[NewAuditEntry]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "DELETE FROM webhook_attempts WHERE delivery_id IN \
             (SELECT id FROM webhook_deliveries WHERE webhook_id = $1)",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM webhook_deliveries WHERE webhook_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM webhooks WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("webhook {id:?} does not exist")));
        }
        append_all_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Claims up to `limit` deliveries that are due for `lease_secs` seconds, for `owner`:
    /// of each active subscription only the first pending delivery in event order, and only
    /// when no registry holds it, so that a subscription receives its events one at a time in
    /// order and each from one registry.
    pub async fn claim_deliveries(
        &self,
        owner: &str,
        lease_secs: u64,
        limit: i64,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        let at = now();
        let until = after(lease_secs);
        let claimed = sqlx::query(
            "UPDATE webhook_deliveries SET claimed_by = $1, claimed_until = $2 \
             WHERE state = 'pending' AND (claimed_until IS NULL OR claimed_until < $3) AND id IN ( \
               SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
               WHERE d.state = 'pending' AND d.next_at <= $3 AND w.active = 1 \
               AND (d.claimed_until IS NULL OR d.claimed_until < $3) \
               AND NOT EXISTS (SELECT 1 FROM webhook_deliveries x WHERE x.webhook_id = d.webhook_id \
                               AND x.state = 'pending' AND x.seq < d.seq) \
               ORDER BY d.seq LIMIT $4)",
        )
        .bind(owner)
        .bind(&until)
        .bind(&at)
        .bind(limit)
        .execute(&self.pool)
        .await?;
        if claimed.rows_affected() == 0 {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(&format!(
            "SELECT {DELIVERY_COLUMNS}, {EVENT_COLUMNS}, w.url AS webhook_url, w.secret AS webhook_secret \
             FROM webhook_deliveries d JOIN events e ON e.id = d.event_id JOIN webhooks w ON w.id = d.webhook_id \
             WHERE d.claimed_by = $1 AND d.claimed_until = $2 AND d.state = 'pending' ORDER BY d.seq"
        ))
        .bind(owner)
        .bind(&until)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(DueDelivery {
                    delivery: delivery(row)?,
                    url: row.try_get("webhook_url")?,
                    secret: row.try_get("webhook_secret")?,
                })
            })
            .collect()
    }

    /// Records an attempt `owner` made of a delivery it claimed, and what follows; false (and
    /// nothing written) when its claim was lost meanwhile.
    pub async fn finish_attempt(
        &self,
        delivery_id: &str,
        owner: &str,
        attempt: &Attempt,
        next: &Tried,
    ) -> Result<bool, StoreError> {
        let (state, next_at, delivered_at) = match next {
            Tried::Delivered => (DeliveryState::Delivered, None, Some(attempt.at.as_str())),
            Tried::RetryAt(at) => (DeliveryState::Pending, Some(at.as_str()), None),
            Tried::Dead => (DeliveryState::Dead, None, None),
        };
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE webhook_deliveries SET state = $3, attempts = $4, next_at = COALESCE($5, next_at), \
             delivered_at = COALESCE($6, delivered_at), last_status = $7, last_error = $8, \
             claimed_by = NULL, claimed_until = NULL \
             WHERE id = $1 AND claimed_by = $2 AND state = 'pending'",
        )
        .bind(delivery_id)
        .bind(owner)
        .bind(state.as_str())
        .bind(attempt.number)
        .bind(next_at)
        .bind(delivered_at)
        .bind(attempt.status)
        .bind(attempt.error.as_deref())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO webhook_attempts (delivery_id, number, at, duration_ms, status, response, error) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(delivery_id)
        .bind(attempt.number)
        .bind(&attempt.at)
        .bind(attempt.duration_ms)
        .bind(attempt.status)
        .bind(attempt.response.as_deref())
        .bind(attempt.error.as_deref())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Gives back the deliveries `owner` holds (a registry stopping), for another to take at once.
    pub async fn release_deliveries(&self, owner: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE webhook_deliveries SET claimed_by = NULL, claimed_until = NULL \
             WHERE claimed_by = $1 AND state = 'pending'",
        )
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A subscription's deliveries, newest first, after the cursor `before` (a `seq`),
    /// optionally in one state.
    pub async fn deliveries(
        &self,
        webhook_id: &str,
        state: Option<DeliveryState>,
        before: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Delivery>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {DELIVERY_COLUMNS}, {EVENT_COLUMNS} FROM webhook_deliveries d JOIN events e ON e.id = d.event_id \
             WHERE d.webhook_id = $1 AND ($2 = '' OR d.state = $2) AND ($3 = '' OR d.seq < $3) \
             ORDER BY d.seq DESC LIMIT $4"
        ))
        .bind(webhook_id)
        .bind(state.map(DeliveryState::as_str).unwrap_or(""))
        .bind(before.unwrap_or(""))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(delivery).collect()
    }

    /// One delivery of a subscription with its attempts, oldest first.
    pub async fn existing_delivery(&self, webhook_id: &str, id: &str) -> Result<(Delivery, Vec<Attempt>), StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {DELIVERY_COLUMNS}, {EVENT_COLUMNS} FROM webhook_deliveries d JOIN events e ON e.id = d.event_id \
             WHERE d.webhook_id = $1 AND d.id = $2"
        ))
        .bind(webhook_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("webhook {webhook_id:?} has no delivery {id:?}")))?;
        let attempts = sqlx::query(
            "SELECT number, at, duration_ms, status, response, error FROM webhook_attempts \
             WHERE delivery_id = $1 ORDER BY number",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(Attempt {
                number: r.try_get("number")?,
                at: r.try_get("at")?,
                duration_ms: r.try_get("duration_ms")?,
                status: r.try_get("status")?,
                response: r.try_get("response")?,
                error: r.try_get("error")?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        Ok((delivery(&row)?, attempts))
    }

    /// Sends a delivery again (delivered, dead, or waiting for a retry): due now, with a new
    /// retry window, under the same `webhook-id`; `audit` is appended in the same transaction.
    pub async fn redeliver(
        &self,
        webhook_id: &str,
        id: &str,
        audit: &[NewAuditEntry],
    ) -> Result<(Delivery, Vec<Attempt>), StoreError> {
        let at = now();
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE webhook_deliveries SET state = 'pending', since = $3, next_at = $3, delivered_at = NULL \
             WHERE webhook_id = $1 AND id = $2",
        )
        .bind(webhook_id)
        .bind(id)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!(
                "webhook {webhook_id:?} has no delivery {id:?}"
            )));
        }
        append_all_in(&mut tx, audit).await?;
        tx.commit().await?;
        self.events_written.notify_one();
        self.existing_delivery(webhook_id, id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_lists_are_stored_between_commas_sorted_and_read_back() {
        let kinds = Some(vec![
            EventKind::PlanApproved,
            EventKind::DriftDetected,
            EventKind::PlanApproved,
        ]);
        let text = events_text(&kinds);
        assert_eq!(text, ",drift.detected,plan.approved,");
        assert_eq!(
            events_of(&text).unwrap(),
            Some(vec![EventKind::DriftDetected, EventKind::PlanApproved])
        );
        assert_eq!(events_text(&None), "*");
        assert_eq!(events_of("*").unwrap(), None);
        assert!(events_of(",plan.exploded,").is_err());
    }
}
