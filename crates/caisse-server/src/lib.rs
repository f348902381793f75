//! caisse's HTTP server.
//!
//! # Layout
//! - `config`: settings from `CAISSE_*` environment variables.
//! - `state`: what every handler shares (the core's `Payments`, the protocol adapters).
//! - `app`: the router: `/healthz` and each protocol's routes.
//! - `sips`: the Office Serveur JSON routes (transport rules only; the adapter does the rest).
//! - `lyra`: the Sogecommerce REST API V4 routes (transport only; `caisse-lyra` does the rest).
//! - `batch`: the daily capture batch and the subscription installments.
//! - `serve`: binding, graceful shutdown on SIGTERM.

pub mod app;
pub mod batch;
pub mod config;
pub mod lyra;
pub mod serve;
pub mod sips;
pub mod state;

pub use app::app;
pub use config::Settings;
pub use serve::{build_state, serve, shutdown_signal};
pub use state::AppState;
