//! `/v1/webhooks`: subscriptions to the registry's events, for unscoped admins. The signing
//! secret is shown once, in the answer that creates the subscription; deliveries and the
//! receiver's answers are listed per subscription and can be sent again.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use schemareg_adapters::store::{Attempt, Delivery, DeliveryState, Webhook};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Page, next_cursor};
use crate::audit::Origin;
use crate::auth::{Principal, Role};
use crate::error::ApiError;
use crate::http::extract::JsonBody;
use crate::http::middleware::idempotency::Idempotency;
use crate::http::problem::responses as r;
use crate::registry::subscriptions;
use crate::state::AppState;
use crate::webhooks::envelope;

/// A subscription to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://hooks.example.com/schemareg", "events": ["plan.pending_approval", "plan.failed", "drift.detected"], "environment": "production", "description": "Tell #deploys"}))]
pub struct CreateWebhook {
    /// Where to POST events: http(s), no credentials; a public address unless
    /// `webhook_allowed_networks` names the receiver's network. Redirects are not followed.
    pub url: String,
    /// The events wanted, or `["*"]` for every event (also those added later). One of
    /// version.pushed, plan.computed, plan.pending_approval, plan.approved, plan.rejected,
    /// plan.applied, plan.verified, plan.failed, plan.stale, drift.detected, drift.resolved,
    /// drift.unknown, drift.readable.
    pub events: Vec<String>,
    /// Only this service's events.
    pub service: Option<String>,
    /// Only this environment's events (versions belong to no environment).
    pub environment: Option<String>,
    #[serde(default)]
    pub description: String,
}

/// A change to a subscription; what is left out stays.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"active": false}))]
pub struct ChangeWebhook {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub description: Option<String>,
    /// A paused subscription queues no new deliveries and sends none; its pending ones wait.
    pub active: Option<bool>,
}

/// A subscription (its secret is never shown again).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "wh_4f1c2a9b7d3e5f60", "url": "https://hooks.example.com/schemareg", "events": ["drift.detected", "plan.failed", "plan.pending_approval"], "service": null, "environment": "production", "description": "Tell #deploys", "active": true, "created_by": "alice", "created_at": "2026-11-26T10:00:00.000Z", "updated_at": "2026-11-26T10:00:00.000Z"}))]
pub struct WebhookView {
    pub id: String,
    pub url: String,
    /// The events it receives; `["*"]`: every event.
    pub events: Vec<String>,
    pub service: Option<String>,
    pub environment: Option<String>,
    pub description: String,
    pub active: bool,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Webhook> for WebhookView {
    fn from(w: Webhook) -> Self {
        Self {
            id: w.id,
            url: w.url,
            events: subscriptions::event_names(&w.events),
            service: w.service,
            environment: w.environment,
            description: w.description,
            active: w.active,
            created_by: w.created_by,
            created_at: w.created_at,
            updated_at: w.updated_at,
        }
    }
}

/// A subscription just created, with its signing secret: keep it now, it is not shown again.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "wh_4f1c2a9b7d3e5f60", "url": "https://hooks.example.com/schemareg", "events": ["*"], "service": "billing", "environment": null, "description": "", "active": true, "created_by": "alice", "created_at": "2026-11-26T10:00:00.000Z", "updated_at": "2026-11-26T10:00:00.000Z", "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYo="}))]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub webhook: WebhookView,
    /// The Standard Webhooks signing secret (`whsec_…`).
    pub secret: String,
}

/// The subscriptions.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": []}))]
pub struct WebhookList {
    pub items: Vec<WebhookView>,
}

/// One event for one subscription.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "msg_0b1c2d3e4f5a6b7c8d9e_4f1c2a9b7d3e5f60", "event_id": "evt_0b1c2d3e4f5a6b7c8d9e", "type": "plan.pending_approval", "subject": "3b2d…", "service": "billing", "environment": "production", "event_time": "2026-11-26T10:00:00.000Z", "state": "delivered", "attempts": 2, "next_at": null, "last_status": 200, "last_error": null, "delivered_at": "2026-11-26T10:00:05.120Z"}))]
pub struct DeliveryView {
    /// Also its `webhook-id` header, the same on every attempt.
    pub id: String,
    pub event_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub subject: String,
    pub service: Option<String>,
    pub environment: Option<String>,
    pub event_time: String,
    /// `pending`, `delivered` or `dead`.
    pub state: String,
    pub attempts: i64,
    /// When a pending delivery is next tried.
    pub next_at: Option<String>,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub delivered_at: Option<String>,
}

impl From<Delivery> for DeliveryView {
    fn from(d: Delivery) -> Self {
        Self {
            next_at: (d.state == DeliveryState::Pending).then_some(d.next_at),
            id: d.id,
            event_id: d.event.id,
            kind: d.event.kind.as_str().into(),
            subject: d.event.subject,
            service: d.event.service,
            environment: d.event.environment,
            event_time: d.event.at,
            state: d.state.as_str().into(),
            attempts: d.attempts,
            last_status: d.last_status,
            last_error: d.last_error,
            delivered_at: d.delivered_at,
        }
    }
}

/// One attempt and the receiver's answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptView {
    pub number: i64,
    pub at: String,
    pub duration_ms: i64,
    /// The HTTP status the receiver answered, if it answered.
    pub status: Option<i64>,
    /// The start of the answer's body (at most 1 KiB).
    pub response: Option<String>,
    /// Why the attempt failed.
    pub error: Option<String>,
}

impl From<Attempt> for AttemptView {
    fn from(a: Attempt) -> Self {
        Self {
            number: a.number,
            at: a.at,
            duration_ms: a.duration_ms,
            status: a.status,
            response: a.response,
            error: a.error,
        }
    }
}

/// A delivery with its attempts and the event as it is sent.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "msg_0b1c2d3e4f5a6b7c8d9e_4f1c2a9b7d3e5f60", "event_id": "evt_0b1c2d3e4f5a6b7c8d9e", "type": "plan.approved", "subject": "3b2d", "service": "billing", "environment": "production", "event_time": "2026-11-26T10:00:00.000Z", "state": "pending", "attempts": 1, "next_at": "2026-11-26T10:00:05.000Z", "last_status": 503, "last_error": "the receiver answered 503 Service Unavailable", "delivered_at": null, "attempt_log": [{"number": 1, "at": "2026-11-26T10:00:00.100Z", "duration_ms": 12, "status": 503, "response": "busy", "error": "the receiver answered 503 Service Unavailable"}], "event": {"specversion": "1.0", "type": "plan.approved"}}))]
pub struct DeliveryDetail {
    #[serde(flatten)]
    pub delivery: DeliveryView,
    /// Every attempt, oldest first.
    pub attempt_log: Vec<AttemptView>,
    /// The CloudEvent the receiver gets.
    pub event: serde_json::Value,
}

/// A page of deliveries, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [], "next_cursor": null}))]
pub struct DeliveryList {
    pub items: Vec<DeliveryView>,
    /// Give it as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// Which deliveries to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryFilter {
    /// `pending`, `delivered` or `dead`.
    pub state: Option<String>,
}

fn admin(who: &Principal) -> Result<(), ApiError> {
    who.require(Role::Admin)?;
    // A subscription may see every service's events: only an unscoped admin manages them.
    who.require_unscoped()
}

/// Subscribes a URL to events (unscoped admin); the answer holds the signing secret, once.
#[utoipa::path(post, path = "/v1/webhooks", tag = "webhooks", operation_id = "createWebhook",
    summary = "Subscribe to events", security(("bearer" = [])),
    request_body(content = CreateWebhook, content_type = "application/json"),
    responses(
        (status = 201, description = "Subscribed; `Location` names it; `secret` is shown only here", body = CreatedWebhook),
        r::BadRequest, r::Unauthorized, r::Forbidden, r::PayloadTooLarge, r::UnsupportedMediaType, r::Unprocessable, r::Unavailable,
    ))]
pub async fn create_webhook(
    State(state): State<AppState>,
    who: Principal,
    origin: Origin,
    idem: Idempotency,
    body: JsonBody<CreateWebhook>,
) -> Result<impl IntoResponse, ApiError> {
    admin(&who)?;
    idem.pass(&state).await?;
    let body = body.read().await?;
    let asked = subscriptions::Subscribe {
        url: body.url,
        events: body.events,
        service: body.service,
        environment: body.environment,
        description: body.description,
    };
    let (created, secret) = subscriptions::subscribe(&state, &who, &origin, asked).await?;
    let view = WebhookView::from(created);
    Ok((
        StatusCode::CREATED,
        [
            (header::LOCATION, format!("/v1/webhooks/{}", view.id)),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        Json(CreatedWebhook { webhook: view, secret }),
    ))
}

/// Lists the subscriptions, oldest first (unscoped admin).
#[utoipa::path(get, path = "/v1/webhooks", tag = "webhooks", operation_id = "listWebhooks",
    summary = "List subscriptions", security(("bearer" = [])),
    responses(
        (status = 200, description = "Every subscription, without secrets", body = WebhookList),
        r::Unauthorized, r::Forbidden, r::Unavailable,
    ))]
pub async fn list_webhooks(State(state): State<AppState>, who: Principal) -> Result<Json<WebhookList>, ApiError> {
    admin(&who)?;
    let items = subscriptions::list(&state)
        .await?
        .into_iter()
        .map(WebhookView::from)
        .collect();
    Ok(Json(WebhookList { items }))
}

/// Reads a subscription (unscoped admin).
#[utoipa::path(get, path = "/v1/webhooks/{id}", tag = "webhooks", operation_id = "getWebhook",
    summary = "Read a subscription", security(("bearer" = [])),
    params(("id" = String, Path, description = "The subscription's id", example = "wh_4f1c2a9b7d3e5f60")),
    responses(
        (status = 200, description = "The subscription, without its secret", body = WebhookView),
        r::Unauthorized, r::Forbidden, r::NotFound, r::Unavailable,
    ))]
pub async fn get_webhook(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<WebhookView>, ApiError> {
    admin(&who)?;
    Ok(Json(subscriptions::read(&state, &id).await?.into()))
}

/// Changes a subscription's URL, events, description, or pauses and resumes it.
#[utoipa::path(patch, path = "/v1/webhooks/{id}", tag = "webhooks", operation_id = "updateWebhook",
    summary = "Change a subscription", security(("bearer" = [])),
    params(("id" = String, Path, description = "The subscription's id", example = "wh_4f1c2a9b7d3e5f60")),
    request_body(content = ChangeWebhook, content_type = "application/json"),
    responses(
        (status = 200, description = "Changed", body = WebhookView),
        r::BadRequest, r::Unauthorized, r::Forbidden, r::NotFound, r::PayloadTooLarge, r::UnsupportedMediaType,
        r::Unprocessable, r::Unavailable,
    ))]
pub async fn update_webhook(
    State(state): State<AppState>,
    who: Principal,
    origin: Origin,
    Path(id): Path<String>,
    body: JsonBody<ChangeWebhook>,
) -> Result<Json<WebhookView>, ApiError> {
    admin(&who)?;
    let body = body.read().await?;
    let asked = subscriptions::Change {
        url: body.url,
        events: body.events,
        description: body.description,
        active: body.active,
    };
    let changed = WebhookView::from(subscriptions::change(&state, &who, &origin, &id, asked).await?);
    Ok(Json(changed))
}

/// Deletes a subscription with its deliveries.
#[utoipa::path(delete, path = "/v1/webhooks/{id}", tag = "webhooks", operation_id = "deleteWebhook",
    summary = "Delete a subscription", security(("bearer" = [])),
    params(("id" = String, Path, description = "The subscription's id", example = "wh_4f1c2a9b7d3e5f60")),
    responses(
        (status = 200, description = "Deleted, with its deliveries; the subscription as it was", body = WebhookView),
        r::Unauthorized, r::Forbidden, r::NotFound, r::Unavailable,
    ))]
pub async fn delete_webhook(
    State(state): State<AppState>,
    who: Principal,
    origin: Origin,
    Path(id): Path<String>,
) -> Result<Json<WebhookView>, ApiError> {
    admin(&who)?;
    let gone = subscriptions::delete(&state, &who, &origin, &id).await?;
    Ok(Json(gone.into()))
}

/// Lists a subscription's deliveries, newest first.
#[utoipa::path(get, path = "/v1/webhooks/{id}/deliveries", tag = "webhooks", operation_id = "listDeliveries",
    summary = "List a subscription's deliveries", security(("bearer" = [])),
    params(("id" = String, Path, description = "The subscription's id", example = "wh_4f1c2a9b7d3e5f60"), DeliveryFilter, Page),
    responses(
        (status = 200, description = "A page of deliveries", body = DeliveryList),
        r::BadRequest, r::Unauthorized, r::Forbidden, r::NotFound, r::Unavailable,
    ))]
pub async fn list_deliveries(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    Query(filter): Query<DeliveryFilter>,
    Query(page): Query<Page>,
) -> Result<Json<DeliveryList>, ApiError> {
    admin(&who)?;
    let limit = page.limit()?;
    let before = page.after()?;
    let items = subscriptions::deliveries(&state, &id, filter.state.as_deref(), before.as_deref(), limit).await?;
    let next = next_cursor(items.last().map(|d| d.seq.clone()), items.len(), limit);
    Ok(Json(DeliveryList {
        items: items.into_iter().map(DeliveryView::from).collect(),
        next_cursor: next,
    }))
}

fn detail(state: &AppState, (delivery, attempts): (Delivery, Vec<Attempt>)) -> DeliveryDetail {
    let event = envelope::cloud_event(&delivery.event, &state.config.public_url());
    DeliveryDetail {
        delivery: delivery.into(),
        attempt_log: attempts.into_iter().map(AttemptView::from).collect(),
        event,
    }
}

/// Reads a delivery with every attempt and the receiver's answers.
#[utoipa::path(get, path = "/v1/webhooks/{id}/deliveries/{delivery}", tag = "webhooks",
    operation_id = "getDelivery", summary = "Read a delivery and its attempts", security(("bearer" = [])),
    params(("id" = String, Path, description = "The subscription's id", example = "wh_4f1c2a9b7d3e5f60"),
        ("delivery" = String, Path, description = "The delivery's id (its `webhook-id`)")),
    responses(
        (status = 200, description = "The delivery", body = DeliveryDetail),
        r::Unauthorized, r::Forbidden, r::NotFound, r::Unavailable,
    ))]
pub async fn get_delivery(
    State(state): State<AppState>,
    who: Principal,
    Path((id, delivery)): Path<(String, String)>,
) -> Result<Json<DeliveryDetail>, ApiError> {
    admin(&who)?;
    let found = subscriptions::delivery(&state, &id, &delivery).await?;
    Ok(Json(detail(&state, found)))
}

/// Sends a delivery again now (delivered, dead or waiting for a retry), under the same
/// `webhook-id`, with a new retry window.
#[utoipa::path(post, path = "/v1/webhooks/{id}/deliveries/{delivery}/redelivery", tag = "webhooks",
    operation_id = "redeliver", summary = "Send a delivery again", security(("bearer" = [])),
    params(("id" = String, Path, description = "The subscription's id", example = "wh_4f1c2a9b7d3e5f60"),
        ("delivery" = String, Path, description = "The delivery's id (its `webhook-id`)")),
    responses(
        (status = 202, description = "Queued to be sent now", body = DeliveryDetail),
        r::Unauthorized, r::Forbidden, r::NotFound, r::Unavailable,
    ))]
pub async fn redeliver(
    State(state): State<AppState>,
    who: Principal,
    origin: Origin,
    Path((id, delivery)): Path<(String, String)>,
    idem: Idempotency,
) -> Result<impl IntoResponse, ApiError> {
    admin(&who)?;
    idem.pass(&state).await?;
    let found = subscriptions::redeliver(&state, &who, &origin, &id, &delivery).await?;
    Ok((StatusCode::ACCEPTED, Json(detail(&state, found))))
}
