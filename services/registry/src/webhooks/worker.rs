//! The delivery worker: claims due deliveries (a lease each, so that of several registries on
//! one store one sends each), sends each as a signed CloudEvent, records the attempt with the
//! receiver's answer, and schedules a retry with exponential backoff and jitter until the
//! retry window ends, when the delivery is dead. Redirects are not followed; each attempt has a
//! timeout; the secret and the receiver's URL are never logged.

use std::sync::Arc;
use std::time::{Duration, Instant};

use schemareg_adapters::store::{Attempt, DueDelivery, Tried, now, timestamp};
use tokio::sync::{Notify, Semaphore};

use super::target::{Resolver, Targets};
use super::{envelope, signature};
use crate::state::AppState;

/// The most of an answer's body kept with an attempt.
const KEPT_RESPONSE: usize = 1024;

/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);

/// How often the store is asked for due deliveries when nothing woke the worker sooner.
const POLL: Duration = Duration::from_secs(1);

/// Starts the worker (unless the configuration turns deliveries off); it runs until the
/// process ends.
pub fn spawn(state: AppState) {
    if state.config.webhooks {
        tokio::spawn(run(state));
    }
}

struct Worker {
    state: AppState,
    client: reqwest::Client,
    targets: Arc<Targets>,
    /// Who holds this registry's claims.
    owner: String,
    limit: Arc<Semaphore>,
    /// Told when a delivery finishes (the next of its subscription may be due).
    finished: Arc<Notify>,
}

async fn run(state: AppState) {
    let targets = Arc::new(Targets::allowing(&state.config.webhook_allowed_networks));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(state.config.webhook_timeout_secs))
        .connect_timeout(Duration::from_secs(state.config.webhook_timeout_secs))
        .dns_resolver(Arc::new(Resolver(targets.clone())))
        .user_agent(concat!("schemareg-webhooks/", env!("CARGO_PKG_VERSION")))
        .build();
    let client = match client {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "webhooks: cannot build the delivery client; no webhooks are sent");
            return;
        }
    };
    let worker = Arc::new(Worker {
        limit: Arc::new(Semaphore::new(state.config.webhook_concurrency)),
        owner: state.instance.clone(),
        finished: Arc::default(),
        state,
        client,
        targets,
    });
    loop {
        if let Err(e) = worker.clone().round().await {
            tracing::warn!(error = %e, "webhooks: cannot claim deliveries");
        }
        tokio::select! {
            () = worker.state.store.event_written() => {}
            () = worker.finished.notified() => {}
            () = tokio::time::sleep(POLL) => {}
        }
    }
}

impl Worker {
    /// Claims as many due deliveries as there are free slots and sends each.
    async fn round(self: Arc<Self>) -> Result<(), schemareg_adapters::store::StoreError> {
        let free = self.limit.available_permits();
        if free == 0 {
            return Ok(());
        }
        let lease = self.state.config.webhook_timeout_secs + 10;
        let due = self
            .state
            .store
            .claim_deliveries(&self.owner, lease, free as i64)
            .await?;
        for d in due {
            let Ok(permit) = self.limit.clone().acquire_owned().await else {
                return Ok(());
            };
            let worker = self.clone();
            tokio::spawn(async move {
                worker.deliver(d).await;
                drop(permit);
                worker.finished.notify_one();
            });
        }
        Ok(())
    }

    async fn deliver(&self, due: DueDelivery) {
        let d = &due.delivery;
        let (attempt, status) = self.attempt(&due).await;
        let (next, wait) = self.next(&due, &attempt, status.retry_after);
        let outcome = match &next {
            Tried::Delivered => "delivered",
            Tried::RetryAt(_) => "failed",
            Tried::Dead => "dead",
        };
        self.state
            .metrics
            .count("schemareg_webhook_attempts_total", &[("outcome", outcome)]);
        tracing::info!(
            delivery = %d.id, webhook = %d.webhook_id, event = d.event.kind.as_str(), attempt = attempt.number,
            status = attempt.status, error = attempt.error.as_deref(), outcome, "webhook attempt"
        );
        match self
            .state
            .store
            .finish_attempt(&d.id, &self.owner, &attempt, &next)
            .await
        {
            // A retry sooner than the next poll: the worker looks again then.
            Ok(true) if matches!(next, Tried::RetryAt(_)) && wait < POLL => {
                let finished = self.finished.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(wait).await;
                    finished.notify_one();
                });
            }
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(delivery = %d.id, "webhooks: the claim on a delivery ran out while it was sent")
            }
            Err(e) => tracing::warn!(delivery = %d.id, error = %e, "webhooks: cannot record an attempt"),
        }
    }

    /// One attempt: the request signed now, and what came back.
    async fn attempt(&self, due: &DueDelivery) -> (Attempt, Answer) {
        let d = &due.delivery;
        let at = now();
        let started = Instant::now();
        let mut attempt = Attempt {
            number: d.attempts + 1,
            at,
            duration_ms: 0,
            status: None,
            response: None,
            error: None,
        };
        let answer = match self.send(due).await {
            Ok(a) => a,
            Err(error) => Answer {
                error: Some(error),
                ..Answer::default()
            },
        };
        attempt.duration_ms = started.elapsed().as_millis() as i64;
        attempt.status = answer.status.map(i64::from);
        attempt.response = answer.body.clone();
        attempt.error = answer.error.clone();
        (attempt, answer)
    }

    async fn send(&self, due: &DueDelivery) -> Result<Answer, String> {
        let d = &due.delivery;
        let secret = self
            .state
            .secrets
            .decrypt(&due.secret)
            .map_err(|e| format!("cannot read the subscription's secret: {e}"))?;
        let key = signature::key(&secret).ok_or("the subscription's secret is malformed")?;
        let url = self.targets.check_form(&due.url).map_err(|e| e.to_string())?;
        // A literal address does not go through the resolver: checked here.
        if let Some(host) = url.host_str().map(|h| h.trim_matches(['[', ']']))
            && host.parse::<std::net::IpAddr>().is_ok()
        {
            self.targets.resolve(host).await.map_err(|e| e.to_string())?;
        }
        let body = serde_json::to_vec(&envelope::cloud_event(&d.event, &self.state.config.public_url()))
            .map_err(|e| e.to_string())?;
        let sent_at = time::OffsetDateTime::now_utc().unix_timestamp();
        let response = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, envelope::CONTENT_TYPE)
            .header("webhook-id", &d.id)
            .header("webhook-timestamp", sent_at.to_string())
            .header("webhook-signature", signature::sign(&key, &d.id, sent_at, &body))
            .body(body)
            .send()
            .await
            .map_err(|e| describe(&e))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(|l| crate::text::clip(l, 200));
        let body = read_start(response).await;
        let error = if status.is_success() {
            None
        } else if status.is_redirection() {
            Some(format!(
                "the receiver answered {status} (to {}): redirects are not followed; register the final URL",
                location.unwrap_or_else(|| "nowhere".into())
            ))
        } else {
            Some(format!("the receiver answered {status}"))
        };
        Ok(Answer {
            status: Some(status.as_u16()),
            body,
            error,
            retry_after,
        })
    }

    /// What follows an attempt: delivered on 2xx; else a retry after the backoff (or the
    /// receiver's `Retry-After`, if longer), unless the retry window has ended; and the wait.
    fn next(&self, due: &DueDelivery, attempt: &Attempt, retry_after: Option<Duration>) -> (Tried, Duration) {
        if attempt.error.is_none() && attempt.status.is_some_and(|s| (200..300).contains(&s)) {
            return (Tried::Delivered, Duration::ZERO);
        }
        let wait = backoff(
            Duration::from_millis(self.state.config.webhook_backoff_ms),
            attempt.number,
            jitter(),
        )
        .max(retry_after.unwrap_or_default().min(MAX_BACKOFF));
        let since = time::OffsetDateTime::parse(&due.delivery.since, &time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|_| time::OffsetDateTime::now_utc());
        let next = time::OffsetDateTime::now_utc() + wait;
        if next > since + Duration::from_secs(self.state.config.webhook_retry_secs) {
            (Tried::Dead, wait)
        } else {
            (Tried::RetryAt(timestamp(next)), wait)
        }
    }
}

/// What a receiver answered.
#[derive(Debug, Default)]
struct Answer {
    status: Option<u16>,
    body: Option<String>,
    error: Option<String>,
    retry_after: Option<Duration>,
}

/// The wait after failed attempt `n` (from 1): `base`, doubled with each failure up to an
/// hour, times `jitter` (0.8 to 1.2).
fn backoff(base: Duration, n: i64, jitter: f64) -> Duration {
    let doubled = base.saturating_mul(1u32 << (n - 1).clamp(0, 20) as u32);
    doubled.min(MAX_BACKOFF).mul_f64(jitter)
}

/// A factor between 0.8 and 1.2.
fn jitter() -> f64 {
    let mut b = [0u8; 2];
    let _ = getrandom::fill(&mut b);
    0.8 + 0.4 * f64::from(u16::from_le_bytes(b)) / f64::from(u16::MAX)
}

/// The start of an answer's body, as text.
async fn read_start(mut response: reqwest::Response) -> Option<String> {
    let mut kept = Vec::new();
    while kept.len() < KEPT_RESPONSE {
        match response.chunk().await {
            Ok(Some(chunk)) => kept.extend_from_slice(&chunk),
            _ => break,
        }
    }
    kept.truncate(KEPT_RESPONSE);
    (!kept.is_empty()).then(|| String::from_utf8_lossy(&kept).into_owned())
}

/// Why a request got no answer, without its URL (which may hold a token of the receiver's).
fn describe(e: &reqwest::Error) -> String {
    use std::error::Error;
    let mut text = if e.is_timeout() {
        "no answer within webhook_timeout_secs".to_string()
    } else if e.is_connect() {
        "cannot connect".to_string()
    } else {
        "the request failed".to_string()
    };
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    crate::text::clip(&text, 500)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_up_to_an_hour_and_jitters_by_a_fifth() {
        let base = Duration::from_secs(5);
        assert_eq!(backoff(base, 1, 1.0), Duration::from_secs(5));
        assert_eq!(backoff(base, 2, 1.0), Duration::from_secs(10));
        assert_eq!(backoff(base, 4, 1.0), Duration::from_secs(40));
        assert_eq!(backoff(base, 12, 1.0), MAX_BACKOFF);
        assert_eq!(backoff(base, 500, 1.0), MAX_BACKOFF);
        assert_eq!(backoff(base, 1, 0.8), Duration::from_secs(4));
        for _ in 0..100 {
            let j = jitter();
            assert!((0.8..=1.2).contains(&j), "{j}");
        }
    }
}
