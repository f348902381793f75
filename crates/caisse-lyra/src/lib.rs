//! caisse-lyra: the Sogecommerce (Lyra) REST API V4, translated to and from caisse's core. A
//! pure translator: no HTTP, no database; the server hands it a path, the Authorization header
//! and a body, and sends back what it answers.
//!
//! # Layout
//! - `rest`: [`RestApi`], the entry point: Basic authentication → web service → answer in
//!   the V4 envelope ([`RestReply`]).
//! - `auth`: the Authorization header, the credentials cache, constant-time comparison.
//! - `registry`: the web services built so far.
//! - `fields`: typed readers of request fields, each failing with its INT code.
//! - `error`: error codes and wire messages, and the one table from core errors to them.
//! - `json`: answers as an ordered JSON tree (keys in the platform's order, nulls kept).
//! - `objects`: V4/Payment, V4/Transaction, V4/Token, V4/Subscription… from core values.
//! - `services`: one module per web service and the only dispatch.

mod auth;
pub mod embedded;
pub mod error;
mod fields;
pub mod form;
mod json;
pub mod kr;
mod objects;
pub mod registry;
mod rest;
mod services;

pub use rest::{APPLICATION_PROVIDER, MAX_BODY_BYTES, RestApi, RestReply};
