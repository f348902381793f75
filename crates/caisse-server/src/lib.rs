//! caisse's HTTP server.
//!
//! # Layout
//! - `config`: settings from `CAISSE_*` environment variables.
//! - `state`: what every handler shares (the core's `Payments`, the protocol adapters).
//! - `acs`: the simulated 3-D Secure ACS page (PaReq in, PaRes back to TermUrl).
//! - `app`: the router: `/healthz` and each protocol's routes.
//! - `sips`: the Office Serveur JSON routes (transport rules only; the adapter does the rest).
//! - `soap`: the Office Serveur SOAP routes and the WSDL (transport rules only).
//! - `hosted_fields`: the Sips hosted-fields page and SDK (card data → payment token).
//! - `lyra`: the Sogecommerce REST API V4 routes (transport only; `caisse-lyra` does the rest).
//! - `batch`: the daily capture batch and the subscription installments.
//! - `serve`: binding, graceful shutdown on SIGTERM.

pub mod acs;
pub mod app;
pub mod batch;
pub mod config;
pub mod form;
pub mod hosted_fields;
pub mod hosted_page;
pub mod lyra;
pub mod serve;
pub mod sips;
pub mod soap;
pub mod state;
mod templates;

pub use app::app;
pub use config::Settings;
pub use serve::{build_state, serve, shutdown_signal};
pub use state::AppState;
