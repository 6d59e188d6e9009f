//! Every second while the registry runs: idle connections to bound database servers closed,
//! the connection budget's counts published, and plans abandoned by a registry that stopped
//! (their lease ran out) marked failed, with their events. Reads show such a plan failed at
//! once; this writes it so.

use std::time::Duration;

use super::connections::server_label;
use crate::state::AppState;

/// Closes idle connections and publishes the counts every few seconds while the registry runs.
pub fn spawn_reaper(state: AppState) {
    tokio::spawn(async move {
        let idle = Duration::from_secs(state.config.target_idle_secs);
        let mut named = std::collections::BTreeSet::new();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            state.connections.budget().close_idle(idle);
            state.connections.close_stale();
            publish(&state, &mut named);
            match state.store.fail_abandoned_plans().await {
                Ok(0) => {}
                Ok(failed) => tracing::warn!(failed, "plans abandoned by a stopped registry are marked failed"),
                Err(e) => tracing::warn!(error = %e, "cannot mark abandoned plans failed"),
            }
        }
    });
}

/// The budget's counts as gauges and counters per server.
fn publish(state: &AppState, named: &mut std::collections::BTreeSet<String>) {
    let budget = state.connections.budget();
    let counts = budget.counts();
    state
        .metrics
        .gauge("schemareg_target_connections_open", budget.open() as f64);
    for (server, c) in counts {
        let label = server_label(&server);
        if named.insert(server.clone()) {
            tracing::info!(%server, label = %label, "connections to a bound database server are counted as this label");
        }
        let m = &state.metrics;
        m.server_gauge("schemareg_target_server_connections_open", &label, c.open as f64);
        m.server_gauge("schemareg_target_server_connections_idle", &label, c.idle as f64);
        m.server_gauge("schemareg_target_server_connections_peak", &label, c.peak as f64);
        m.server_gauge("schemareg_target_server_connections_waiting", &label, c.waiting as f64);
        m.server_gauge("schemareg_target_server_connection_waits", &label, c.waits as f64);
        m.server_gauge("schemareg_target_server_connection_timeouts", &label, c.timeouts as f64);
    }
    if let Some(c) = state.scratch.connection_counts() {
        let m = &state.metrics;
        m.gauge("schemareg_scratch_connections_open", c.open as f64);
        m.gauge("schemareg_scratch_connections_peak", c.peak as f64);
        m.gauge("schemareg_scratch_connections_waiting", c.waiting as f64);
        m.gauge("schemareg_scratch_connection_waits", c.waits as f64);
        m.gauge("schemareg_scratch_connection_timeouts", c.timeouts as f64);
    }
}
