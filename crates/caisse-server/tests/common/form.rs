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
