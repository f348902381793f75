//! The signed form the unit tests of the form module start from: a 9.90 EUR single payment
//! in TEST, signed with `KEY`, plus whatever fields a test adds.

use super::post::{FormPost, SIGNATURE};
use super::request::PaymentRequest;
use super::signature::{SignatureAlgorithm, sign};
use chrono::{DateTime, TimeZone, Utc};

/// The shop's TEST key.
pub(crate) const KEY: &str = "1122334455667788";

/// PROTOCOLS.md §3's signature vector: these fields, signed with `KEY`.
pub(crate) const PROTOCOLS_VECTOR: [(&str, &str); 10] = [
    ("vads_action_mode", "INTERACTIVE"),
    ("vads_amount", "1524"),
    ("vads_ctx_mode", "TEST"),
    ("vads_currency", "978"),
    ("vads_page_action", "PAYMENT"),
    ("vads_payment_config", "SINGLE"),
    ("vads_site_id", "12345678"),
    ("vads_trans_date", "20090501193530"),
    ("vads_trans_id", "654321"),
    ("vads_version", "V2"),
];

/// The base fields, then `extra`, then their HMAC-SHA-256 signature under `KEY`.
pub(crate) fn signed_pairs(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = [
        ("vads_action_mode", "INTERACTIVE"),
        ("vads_amount", "990"),
        ("vads_ctx_mode", "TEST"),
        ("vads_currency", "978"),
        ("vads_page_action", "PAYMENT"),
        ("vads_payment_config", "SINGLE"),
        ("vads_site_id", "12345678"),
        ("vads_trans_date", "20261128095900"),
        ("vads_trans_id", "xrT15p"),
        ("vads_version", "V2"),
    ]
    .iter()
    .chain(extra)
    .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
    .collect();
    let signature = sign(SignatureAlgorithm::HmacSha256, KEY, pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    pairs.push((SIGNATURE.to_owned(), signature));
    pairs
}

/// When the form is read: a minute after its `vads_trans_date`.
pub(crate) fn read_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap()
}

/// `signed_pairs(extra)` read as the server reads it.
pub(crate) fn request(extra: &[(&str, &str)]) -> PaymentRequest {
    PaymentRequest::parse(&FormPost::from_pairs(signed_pairs(extra)), read_at()).expect("a valid form")
}
