//! caisse-sips: the Sogenactif / Worldline Sips 2.0 *Office Serveur* protocol, translated to
//! and from caisse's core. A pure translator: no HTTP, no database; the server hands it a
//! family, a method and a body, and sends back what it answers.
//!
//! # Layout
//! - `office`: [`Office`], the entry point: request map → checks → method → sealed answer map;
//!   [`Office::json`] is the JSON encoding around it.
//! - `registry`: families, `interfaceVersion` prefixes, the methods built so far.
//! - `seal`: the seal (fold + HMAC-SHA-256 / HMAC-SHA-512 / SHA-256), constant-time compare.
//! - `fields`: typed readers of request fields, each failing with responseCode 12 or 30.
//! - `response_code`: the responseCode dictionary and the one table from core errors to it.
//! - `answer`: answer maps that leave out empty values, sealed with the request's key.
//! - `keys`: the shop/key cache.
//! - `methods`: one module per method (cardOrder, cancel, refund, validate, duplicate,
//!   creditHolder, getTransactionData, getCardData) and the only dispatch.
//! - `soap`: the SOAP encoding ([`Office::soap`]): envelopes ↔ field maps, the WSDL per
//!   family, faults.

mod answer;
mod fields;
mod keys;
mod methods;
mod office;
pub mod registry;
pub mod response_code;
pub mod seal;
pub mod soap;

pub use office::{Office, OfficeReply, UNSUPPORTED_MEDIA_TYPE_HTML};

/// Where caisse serves the hosted-fields SDK (hostedFieldsInitialize's `sdkUrl`), on its
/// public base URL; the path the platform's own SDK has.
pub const HOSTED_FIELDS_SDK_PATH: &str = "/paymentprovider/hostedfields/services/sdpx-hostedfields-sdk.js";
pub use soap::SoapReply;
