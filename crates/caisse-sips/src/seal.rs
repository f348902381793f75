//! The Sips seal: the message's values folded into one string in the byte order of their
//! names, then HMAC-SHA-256 (or HMAC-SHA-512, or plain SHA-256 over data + key), lowercase hex.
//!
//! The fold streams straight into the hash: no intermediate string holds the data.

use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256, Sha512};
use subtle::ConstantTimeEq;

/// How deep containers may nest in a message (the message itself is depth 1). Real messages
/// go 3 deep (`shoppingCartDetail.shoppingCartItemList[].…`); a limit keeps the recursive fold
/// from being driven by an attacker.
pub const MAX_DEPTH: usize = 16;

/// Request fields that are not part of the sealed data (PROTOCOLS.md 1, "Seal").
pub const UNSEALED_REQUEST_FIELDS: [&str; 3] = ["seal", "keyVersion", "sealAlgorithm"];
/// An answer is sealed over every field but its seal.
pub const UNSEALED_ANSWER_FIELDS: [&str; 1] = ["seal"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SealAlgorithm {
    HmacSha256,
    HmacSha512,
    /// Legacy: `hex(SHA-256(data + secretKey))`.
    Sha256,
}

impl SealAlgorithm {
    /// The `sealAlgorithm` field's value; absent means HMAC-SHA-256.
    pub fn parse(name: &str) -> Option<SealAlgorithm> {
        match name {
            "HMAC-SHA-256" => Some(SealAlgorithm::HmacSha256),
            "HMAC-SHA-512" => Some(SealAlgorithm::HmacSha512),
            "SHA-256" => Some(SealAlgorithm::Sha256),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SealAlgorithm::HmacSha256 => "HMAC-SHA-256",
            SealAlgorithm::HmacSha512 => "HMAC-SHA-512",
            SealAlgorithm::Sha256 => "SHA-256",
        }
    }
}

/// A container nested deeper than [`MAX_DEPTH`]; `field` is the top-level field holding it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TooDeep {
    pub field: String,
}

/// The seal of a request: every field but `seal`, `keyVersion` and `sealAlgorithm`.
pub fn seal_request(message: &Map<String, Value>, secret: &str, algorithm: SealAlgorithm) -> Result<String, TooDeep> {
    compute(message, &UNSEALED_REQUEST_FIELDS, secret, algorithm)
}

/// The seal of an answer: every field but `seal`.
pub fn seal_answer(message: &Map<String, Value>, secret: &str, algorithm: SealAlgorithm) -> Result<String, TooDeep> {
    compute(message, &UNSEALED_ANSWER_FIELDS, secret, algorithm)
}

/// Seals `message` without the top-level fields named in `excluded`.
pub fn compute(
    message: &Map<String, Value>,
    excluded: &[&str],
    secret: &str,
    algorithm: SealAlgorithm,
) -> Result<String, TooDeep> {
    let mut hasher = Hasher::new(algorithm, secret);
    fold_message(message, excluded, &mut |bytes| hasher.update(bytes))?;
    Ok(hasher.finish(secret))
}

/// The data string itself, for diagnostics and tests. Never log it: it holds card data.
pub fn data(message: &Map<String, Value>, excluded: &[&str]) -> Result<String, TooDeep> {
    let mut bytes = Vec::new();
    fold_message(message, excluded, &mut |chunk| bytes.extend_from_slice(chunk))?;
    // Only whole UTF-8 strings and ASCII digits were appended.
    Ok(String::from_utf8(bytes).expect("the fold appends whole UTF-8 strings"))
}

/// Checks nesting without hashing anything, so that a request can be refused with 30 before
/// its key is looked up.
pub fn check_depth(message: &Map<String, Value>) -> Result<(), TooDeep> {
    fold_message(message, &[], &mut |_| {})
}

/// Compares a received seal with the expected one in constant time. Hex case is ignored:
/// the guide's samples are lowercase but some clients print uppercase.
pub fn matches(expected: &str, received: &str) -> bool {
    let received = received.to_ascii_lowercase();
    expected.as_bytes().ct_eq(received.as_bytes()).into()
}

fn fold_message(message: &Map<String, Value>, excluded: &[&str], sink: &mut dyn FnMut(&[u8])) -> Result<(), TooDeep> {
    for (name, value) in sorted(message) {
        if excluded.contains(&name.as_str()) {
            continue;
        }
        fold(value, 2, sink).map_err(|()| TooDeep { field: name.clone() })?;
    }
    Ok(())
}

/// Appends a value's contribution. `depth` is the depth the value would have as a container.
fn fold(value: &Value, depth: usize, sink: &mut dyn FnMut(&[u8])) -> Result<(), ()> {
    match value {
        Value::Null => Ok(()),
        Value::Bool(flag) => {
            sink(if *flag { b"true" } else { b"false" });
            Ok(())
        }
        Value::Number(number) => {
            sink(number.to_string().as_bytes());
            Ok(())
        }
        Value::String(text) => {
            sink(text.as_bytes());
            Ok(())
        }
        Value::Array(items) => {
            if depth > MAX_DEPTH {
                return Err(());
            }
            items.iter().try_for_each(|item| fold(item, depth + 1, sink))
        }
        Value::Object(fields) => {
            if depth > MAX_DEPTH {
                return Err(());
            }
            sorted(fields).into_iter().try_for_each(|(_, item)| fold(item, depth + 1, sink))
        }
    }
}

/// Fields in the byte order of their names. Sorted here rather than trusting the map's own
/// order: serde_json keeps insertion order when any crate turns on `preserve_order`.
fn sorted(fields: &Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut entries: Vec<_> = fields.iter().collect();
    entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    entries
}

enum Hasher {
    HmacSha256(Hmac<Sha256>),
    HmacSha512(Hmac<Sha512>),
    Sha256(Sha256),
}

impl Hasher {
    fn new(algorithm: SealAlgorithm, secret: &str) -> Hasher {
        // HMAC takes keys of any length, so `new_from_slice` cannot fail.
        match algorithm {
            SealAlgorithm::HmacSha256 => {
                Hasher::HmacSha256(Hmac::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key length"))
            }
            SealAlgorithm::HmacSha512 => {
                Hasher::HmacSha512(Hmac::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key length"))
            }
            SealAlgorithm::Sha256 => Hasher::Sha256(Sha256::new()),
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::HmacSha256(mac) => mac.update(bytes),
            Hasher::HmacSha512(mac) => mac.update(bytes),
            Hasher::Sha256(digest) => digest.update(bytes),
        }
    }

    fn finish(self, secret: &str) -> String {
        match self {
            Hasher::HmacSha256(mac) => hex::encode(mac.finalize().into_bytes()),
            Hasher::HmacSha512(mac) => hex::encode(mac.finalize().into_bytes()),
            Hasher::Sha256(mut digest) => {
                digest.update(secret.as_bytes());
                hex::encode(digest.finalize())
            }
        }
    }
}

#[cfg(test)]
mod tests;
