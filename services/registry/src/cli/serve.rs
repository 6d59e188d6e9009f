//! `schemareg serve`: the HTTP service.

use std::path::PathBuf;

use schemareg_adapters::scratch::ScratchServer;

use crate::config::Config;
use crate::state::AppState;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// A TOML configuration file (its keys are those of the README's configuration table:
    /// listen, store_url, scratch_url, …); SCHEMAREG_* variables override it.
    #[arg(long, env = "SCHEMAREG_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A first look with nothing set up: LOG-158's dev, staging and production databases in
    /// the private cluster, the `log158` service bound to them, version 1 verified in dev and
    /// a staging plan waiting for approval, in a temporary store; prints a token per role.
    #[arg(long)]
    pub demo: bool,
}

/// Waits for Ctrl-C or SIGTERM; true for SIGTERM (an orchestrator stopping a replica).
async fn shutdown_signal() -> bool {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    let terminated = tokio::select! {
        _ = ctrl_c => false,
        _ = term => true,
    };
    tracing::info!("shutting down");
    terminated
}

/// Templates of FROM kept on the scratch server.
const SCRATCH_TEMPLATES: usize = 4;

pub async fn run(args: ServeArgs) -> Result<i32, anyhow::Error> {
    let mut config = Config::load(args.config.as_deref())?;
    let _demo_store = match args.demo {
        true => Some(super::demo::configure(&mut config)?),
        false => None,
    };
    // The store first: a store another process holds, or one a newer binary wrote, is refused
    // before anything else starts.
    let store = schemareg_adapters::store::Store::open(&config.store_url).await?;
    let scratch = match &config.scratch_url {
        Some(url) => ScratchServer::connect(url).await?,
        None => {
            crate::say!(
                "schemareg: no scratch server configured (SCHEMAREG_SCRATCH_URL); starting a private PostgreSQL cluster"
            );
            ScratchServer::private().await?
        }
    };
    // FROM is prepared once per fingerprint and copied for each verification of a plan from
    // it (the same live schema is planned against again and again).
    let scratch = scratch
        .with_prefix(&config.scratch_prefix)?
        .with_templates(SCRATCH_TEMPLATES)
        // A push builds its schema in a ready database inside a transaction rolled back after,
        // instead of making and dropping a database.
        .with_ready(config.scratch_ready)
        .with_budget(
            config.scratch_connections,
            std::time::Duration::from_secs(config.target_wait_secs),
        )?;
    match scratch.sweep_templates().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(dropped = n, "scratch templates left by a stopped registry are dropped"),
        Err(e) => tracing::warn!(error = %e, "could not sweep scratch templates"),
    }
    // Scratch databases live for one verification (seconds, minutes): one of this prefix made
    // hours ago with no one connected was left by a registry killed outright.
    match scratch.sweep_databases(std::time::Duration::from_secs(6 * 3600)).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(dropped = n, "scratch databases left by a killed registry are dropped"),
        Err(e) => tracing::warn!(error = %e, "could not sweep scratch databases"),
    }
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.listen))?;
    crate::say!(
        "schemareg: listening on http://{} (API docs at /docs)",
        listener.local_addr()?
    );
    let dev_tokens = config.jwt_hs256_secret.is_none() && config.jwt_public_keys.is_empty();
    let demo_databases = match args.demo {
        true => Some(super::demo::create_databases(&scratch).await?),
        false => None,
    };
    let state = AppState::with_store(config, scratch, store).await?;
    let warming = state.scratch.clone();
    tokio::spawn(async move {
        if let Err(e) = warming.warm().await {
            tracing::warn!(error = %e, "cannot make scratch databases ready: pushes make their own");
        }
    });
    crate::registry::watch::spawn(state.clone());
    crate::webhooks::spawn(state.clone());
    crate::registry::reaper::spawn_reaper(state.clone());
    crate::audit::spawn_retention(state.clone());
    crate::audit::spawn_denial_counts(state.clone());
    if dev_tokens && !args.demo {
        crate::say!(
            "schemareg: tokens are checked with the development key in {}/dev-jwt-secret; make one with\n  \
             TOKEN=$(./target/debug/schemareg token --subject you --role admin)\n  \
             curl -H \"Authorization: Bearer $TOKEN\" http://{}/v1/overview",
            state.config.data_dir,
            listener.local_addr()?
        );
    }
    let limits = crate::http::server::Limits::from_config(&state.config);
    let open_files = crate::http::server::raise_open_files_limit();
    if open_files > 0 && (open_files as usize) < limits.max_connections + 64 {
        tracing::warn!(
            open_files,
            max_connections = limits.max_connections,
            "the open files limit is below max_connections: connections past it are refused by the system"
        );
    }
    let drain = std::time::Duration::from_secs(state.config.request_timeout_secs);
    let scratch = state.scratch.clone();
    // Asked to stop: `/readyz` turns 503 at once; on SIGTERM requests are still served for
    // `drain_delay_secs` (load balancers stop sending new ones; Ctrl-C does not wait), then the
    // listener closes and requests in flight finish.
    let demo_failed = std::sync::Arc::new(DemoFailed::default());
    if let Some(urls) = demo_databases {
        let base = format!("http://{}", console_address(listener.local_addr()?));
        let (state, failed) = (state.clone(), demo_failed.clone());
        tokio::spawn(async move {
            match super::demo::prepare(&state.config, &base, &urls).await {
                Ok(text) => crate::say!("{text}"),
                Err(e) => {
                    crate::say!("schemareg: the demo could not be prepared: {e}");
                    failed.failed.store(true, std::sync::atomic::Ordering::SeqCst);
                    failed.stop.notify_one();
                }
            }
        });
    }
    let stopping = {
        let state = state.clone();
        let demo_failed = demo_failed.clone();
        async move {
            let terminated = tokio::select! {
                terminated = shutdown_signal() => terminated,
                _ = demo_failed.stop.notified() => false,
            };
            state.draining.store(true, std::sync::atomic::Ordering::SeqCst);
            if terminated {
                tokio::time::sleep(std::time::Duration::from_secs(state.config.drain_delay_secs)).await;
            }
        }
    };
    let served = crate::http::server::serve(listener, crate::app::app(state.clone()), limits, stopping, drain).await;
    // What this registry held goes back at once, for another to take; denials counted here
    // are written.
    crate::registry::lease::release_all(&state).await;
    crate::registry::push::give_up_all(&state).await;
    crate::audit::save_denial_counts(&state).await;
    if let Err(e) = state.store.release_deliveries(&state.instance).await {
        tracing::warn!(error = %e, "cannot release webhook deliveries");
    }
    scratch.drop_templates().await;
    scratch.drop_ready_databases().await;
    served?;
    // A demo that could not be prepared stopped the registry: say so in the exit code.
    Ok(match demo_failed.failed.load(std::sync::atomic::Ordering::SeqCst) {
        true => 1,
        false => 0,
    })
}

/// Set when the demo could not be prepared (the registry then stops).
#[derive(Default)]
struct DemoFailed {
    failed: std::sync::atomic::AtomicBool,
    stop: tokio::sync::Notify,
}

/// The address a person on this machine opens: loopback when listening on every address.
fn console_address(addr: std::net::SocketAddr) -> std::net::SocketAddr {
    match addr.ip().is_unspecified() {
        true => std::net::SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), addr.port()),
        false => addr,
    }
}
