//! What every request handler can reach.

use std::sync::Arc;

use schemareg_adapters::scratch::ScratchServer;

use crate::config::Config;

/// The application's state, shared by all requests.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub scratch: Arc<ScratchServer>,
}
