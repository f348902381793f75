//! What a Rust merchant needs to talk to Sogenactif Office Serveur (the real one or caisse):
//! the seal, and sealed JSON calls whose answers are checked before they are trusted.
//!
//! # Layout
//! - `seal`: the Office Serveur seal of a JSON message (HMAC-SHA-256).
//! - `office`: `OfficeClient`, a sealed-call client.

pub mod office;
pub mod seal;

pub use office::{ClientError, OfficeClient};
pub use seal::{seal_request, verify_answer};
