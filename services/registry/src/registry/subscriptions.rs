//! Webhook subscriptions: subscribing a URL to events (the URL checked against the registry's
//! networks, the signing secret made and kept encrypted), changing, pausing and deleting a
//! subscription, reading its deliveries and sending one again; each change audited. Only an
//! unscoped admin manages them (a subscription may see every service's events); the caller
//! checks that.

use schemareg_adapters::store::{Attempt, Delivery, DeliveryState, EventKind, NewWebhook, Webhook, WebhookChange};
use serde_json::json;

use crate::audit::{self, AuditAction, Event, Origin};
use crate::auth::Principal;
use crate::error::{ApiError, Invalid};
use crate::state::AppState;
use crate::webhooks::{signature, target::Targets};

/// A subscription asked for.
pub struct Subscribe {
    pub url: String,
    /// Event names, or `*` for every event.
    pub events: Vec<String>,
    pub service: Option<String>,
    pub environment: Option<String>,
    pub description: String,
}

/// A change asked for (unset fields stay as they are).
pub struct Change {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub description: Option<String>,
    pub active: Option<bool>,
}

/// The events as names, `*` for every event.
pub fn event_names(events: &Option<Vec<EventKind>>) -> Vec<String> {
    match events {
        None => vec!["*".into()],
        Some(kinds) => kinds.iter().map(|k| k.as_str().to_string()).collect(),
    }
}

fn kinds(events: &[String]) -> Result<Option<Vec<EventKind>>, ApiError> {
    if events.is_empty() {
        return Err(ApiError::invalid(
            Invalid::Webhook,
            "events",
            "name the events wanted, or [\"*\"] for every event",
        ));
    }
    if events.iter().any(|e| e == "*") {
        return Ok(None);
    }
    events
        .iter()
        .map(|e| {
            EventKind::parse(e).ok_or_else(|| {
                let known: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
                ApiError::invalid(
                    Invalid::Webhook,
                    "events",
                    format!(
                        "{} is not an event; the events are {}",
                        crate::text::echo(e),
                        known.join(", ")
                    ),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(|mut kinds| {
            // As the store keeps them: by name, each once.
            kinds.sort_by_key(|k| k.as_str());
            kinds.dedup();
            Some(kinds)
        })
}

async fn checked_url(state: &AppState, url: &str) -> Result<String, ApiError> {
    if url.len() > 2048 {
        return Err(ApiError::invalid(
            Invalid::Webhook,
            "url",
            "a webhook URL has at most 2048 characters",
        ));
    }
    Targets::allowing(&state.config.webhook_allowed_networks)
        .check(url)
        .await
        .map(|u| u.to_string())
        .map_err(|e| ApiError::invalid(Invalid::Webhook, "url", e.to_string()))
}

/// Subscribes; the subscription and its signing secret (shown once).
pub async fn subscribe(
    state: &AppState,
    who: &Principal,
    origin: &Origin,
    asked: Subscribe,
) -> Result<(Webhook, String), ApiError> {
    let events = kinds(&asked.events)?;
    if let Some(s) = &asked.service
        && state.store.service(s).await?.is_none()
    {
        return Err(ApiError::invalid(
            Invalid::Webhook,
            "service",
            format!("service {} does not exist", crate::text::echo(s)),
        ));
    }
    if let Some(e) = &asked.environment {
        state.store.existing_environment(e).await.map_err(|_| {
            ApiError::invalid(
                Invalid::Webhook,
                "environment",
                format!("environment {} does not exist", crate::text::echo(e)),
            )
        })?;
    }
    let url = checked_url(state, &asked.url).await?;
    let secret = signature::generate();
    let id = format!("wh_{}", schemareg_adapters::random_hex(8));
    let event = Event::new(AuditAction::WebhookCreate)
        .target(&id)
        .detail(json!({"events": event_names(&events), "service": asked.service, "environment": asked.environment}));
    let audited = [audit::by(who, origin, event)];
    let created = state
        .store
        .create_webhook(
            &NewWebhook {
                id,
                url,
                events,
                service: asked.service,
                environment: asked.environment,
                secret: state.secrets.encrypt(&secret),
                description: crate::text::clip(&asked.description, 500),
                created_by: who.subject.clone(),
            },
            &audited,
        )
        .await?;
    Ok((created, secret))
}

/// Every subscription, oldest first.
pub async fn list(state: &AppState) -> Result<Vec<Webhook>, ApiError> {
    Ok(state.store.webhooks().await?)
}

pub async fn read(state: &AppState, id: &str) -> Result<Webhook, ApiError> {
    Ok(state.store.existing_webhook(id).await?)
}

/// Changes a subscription's URL, events, description, or pauses and resumes it.
pub async fn change(
    state: &AppState,
    who: &Principal,
    origin: &Origin,
    id: &str,
    asked: Change,
) -> Result<Webhook, ApiError> {
    let was = state.store.existing_webhook(id).await?;
    let url = match &asked.url {
        Some(u) => Some(checked_url(state, u).await?),
        None => None,
    };
    let change = WebhookChange {
        url,
        events: asked.events.as_deref().map(kinds).transpose()?,
        description: asked.description.as_deref().map(|d| crate::text::clip(d, 500)),
        active: asked.active,
    };
    let events = change.events.as_ref().unwrap_or(&was.events);
    let event = Event::new(AuditAction::WebhookUpdate).target(id).detail(json!({
        "events": event_names(events),
        "active": change.active.unwrap_or(was.active),
        "url_changed": asked.url.is_some()
    }));
    let changed = state
        .store
        .update_webhook(id, &change, &[audit::by(who, origin, event)])
        .await?;
    Ok(changed)
}

/// Deletes a subscription with its deliveries; the subscription as it was.
pub async fn delete(state: &AppState, who: &Principal, origin: &Origin, id: &str) -> Result<Webhook, ApiError> {
    let gone = state.store.existing_webhook(id).await?;
    let event = Event::new(AuditAction::WebhookDelete).target(id);
    state.store.delete_webhook(id, &[audit::by(who, origin, event)]).await?;
    Ok(gone)
}

/// A page of a subscription's deliveries, newest first, in one state when `wanted` names one.
pub async fn deliveries(
    state: &AppState,
    id: &str,
    wanted: Option<&str>,
    before: Option<&str>,
    limit: i64,
) -> Result<Vec<Delivery>, ApiError> {
    let wanted = wanted
        .map(|s| {
            DeliveryState::parse(s).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "state {} is not pending, delivered or dead",
                    crate::text::echo(s)
                ))
            })
        })
        .transpose()?;
    state.store.existing_webhook(id).await?;
    Ok(state.store.deliveries(id, wanted, before, limit).await?)
}

/// A delivery with every attempt.
pub async fn delivery(state: &AppState, id: &str, delivery: &str) -> Result<(Delivery, Vec<Attempt>), ApiError> {
    Ok(state.store.existing_delivery(id, delivery).await?)
}

/// Sends a delivery again now, under the same `webhook-id`, with a new retry window.
pub async fn redeliver(
    state: &AppState,
    who: &Principal,
    origin: &Origin,
    id: &str,
    delivery: &str,
) -> Result<(Delivery, Vec<Attempt>), ApiError> {
    let (was, _) = state.store.existing_delivery(id, delivery).await?;
    let event = Event::new(AuditAction::WebhookRedeliver)
        .target(delivery)
        .detail(json!({"webhook": id, "type": was.event.kind.as_str()}));
    Ok(state
        .store
        .redeliver(id, delivery, &[audit::by(who, origin, event)])
        .await?)
}
