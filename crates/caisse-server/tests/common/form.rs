//! Form API signatures computed independently of caisse (PROTOCOLS.md 3): the tests that post
//! forms and check results sign and verify with these, so that they can fail.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Digest;

#[derive(Clone, Copy)]
pub enum Algo {
    Hmac,
    Sha1,
}

/// The signature, computed independently: `vads_` values by name, `+`, the key.
pub fn signature(pairs: &[(String, String)], key: &str, algo: Algo) -> String {
    let mut fields: Vec<&(String, String)> = pairs.iter().filter(|(n, _)| n.starts_with("vads_")).collect();
    fields.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut string: String = fields.iter().map(|(_, v)| format!("{v}+")).collect();
    string.push_str(key);
    match algo {
        Algo::Hmac => {
            let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).unwrap();
            mac.update(string.as_bytes());
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
        }
        Algo::Sha1 => hex::encode(sha1::Sha1::digest(string.as_bytes())),
    }
}

pub fn signed(mut pairs: Vec<(String, String)>, key: &str, algo: Algo) -> Vec<(String, String)> {
    pairs.retain(|(n, _)| n != "signature");
    let signature = signature(&pairs, key, algo);
    pairs.push(("signature".into(), signature));
    pairs
}

/// `vads_trans_date` for `at`.
pub fn trans_date(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y%m%d%H%M%S").to_string()
}

/// The unsigned base form of PROTOCOLS.md 3 (15.24 EUR, single payment, TEST) of `site`, then
/// `extra`: a field of `extra` replaces the base's.
pub fn base_form(site: &str, trans_id: &str, trans_date: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = [
        ("vads_action_mode", "INTERACTIVE"),
        ("vads_amount", "1524"),
        ("vads_ctx_mode", "TEST"),
        ("vads_currency", "978"),
        ("vads_page_action", "PAYMENT"),
        ("vads_payment_config", "SINGLE"),
        ("vads_site_id", site),
        ("vads_trans_date", trans_date),
        ("vads_trans_id", trans_id),
        ("vads_version", "V2"),
    ]
    .iter()
    .map(|(n, v)| (n.to_string(), v.to_string()))
    .collect();
    for (name, value) in extra {
        pairs.retain(|(n, _)| n != name);
        pairs.push((name.to_string(), value.to_string()));
    }
    pairs
}

/// `pairs` (a result or an IPN) carry the `signature` of their `vads_` fields under `key`,
/// computed here.
pub fn assert_signed(pairs: &[(String, String)], key: &str) {
    let signed_by = pairs.iter().find(|(n, _)| n == "signature").map(|(_, v)| v.as_str());
    assert_eq!(signed_by, Some(signature(pairs, key, Algo::Hmac).as_str()), "signature of {pairs:?}");
}
