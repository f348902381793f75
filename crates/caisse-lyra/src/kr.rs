//! The `kr-*` fields of a payment made with a REST V4 `formToken` (PROTOCOLS.md §2 "kr-hash";
//! research lyra-form-api §11): the browser return and the IPN carry the `V4/Payment` as
//! compact JSON (`kr-answer`) and its lowercase hex HMAC-SHA-256 (`kr-hash`). The browser
//! return is hashed with the shop's HMAC-SHA-256 key, the IPN with its password.

use crate::json::{Object, to_text};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

pub const KR_ANSWER: &str = "kr-answer";
pub const KR_HASH: &str = "kr-hash";
pub const KR_HASH_KEY: &str = "kr-hash-key";
pub const KR_HASH_ALGORITHM: &str = "kr-hash-algorithm";
pub const KR_ANSWER_TYPE: &str = "kr-answer-type";

/// `kr-hash-algorithm`: the only one the platform uses.
pub const SHA256_HMAC: &str = "sha256_hmac";
/// `kr-answer-type` of a payment.
pub const V4_PAYMENT: &str = "V4/Payment";

/// Which of the shop's secrets hashed `kr-answer` (`kr-hash-key`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KrHashKey {
    /// The HMAC-SHA-256 key: the browser return.
    Sha256Hmac,
    /// The REST password: the IPN.
    Password,
}

impl KrHashKey {
    pub fn as_str(self) -> &'static str {
        match self {
            KrHashKey::Sha256Hmac => SHA256_HMAC,
            KrHashKey::Password => "password",
        }
    }
}

/// `kr-answer`: the object as compact JSON, keys in the platform's order, `/` not escaped
/// (merchants hash the string they receive).
pub fn kr_answer(payment: &Object) -> String {
    to_text(payment)
}

/// `kr-hash`: lowercase hex HMAC-SHA-256 of `kr_answer` under `key`.
pub fn kr_hash(kr_answer: &str, key: &str) -> String {
    // HMAC accepts keys of any length; this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(kr_answer.as_bytes());
    let digest = mac.finalize().into_bytes();
    let mut text = String::with_capacity(digest.len() * 2);
    for byte in digest {
        text.push(char::from_digit(u32::from(byte >> 4), 16).unwrap_or('0'));
        text.push(char::from_digit(u32::from(byte & 0x0f), 16).unwrap_or('0'));
    }
    text
}

/// Whether `hash` is the `kr-hash` of `kr_answer` under `key`, compared in constant time.
pub fn kr_hash_matches(kr_answer: &str, key: &str, hash: &str) -> bool {
    kr_hash(kr_answer, key).as_bytes().ct_eq(hash.as_bytes()).into()
}

/// What the browser return or the IPN of a `formToken` payment posts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KrReturn {
    pub kr_answer: String,
    pub kr_hash: String,
    pub kr_hash_key: KrHashKey,
}

impl KrReturn {
    /// The browser return: hashed with the shop's HMAC-SHA-256 key.
    pub fn browser(payment: &Object, hmac_key: &str) -> KrReturn {
        KrReturn::new(payment, KrHashKey::Sha256Hmac, hmac_key)
    }

    /// The IPN: hashed with the shop's password for the mode.
    pub fn ipn(payment: &Object, password: &str) -> KrReturn {
        KrReturn::new(payment, KrHashKey::Password, password)
    }

    fn new(payment: &Object, kr_hash_key: KrHashKey, key: &str) -> KrReturn {
        let kr_answer = kr_answer(payment);
        let kr_hash = kr_hash(&kr_answer, key);
        KrReturn { kr_answer, kr_hash, kr_hash_key }
    }

    pub fn kr_hash_algorithm(&self) -> &'static str {
        SHA256_HMAC
    }

    pub fn kr_answer_type(&self) -> &'static str {
        V4_PAYMENT
    }

    /// The posted fields, in the order the embedded client posts them.
    pub fn fields(&self) -> Vec<(String, String)> {
        vec![
            (KR_HASH.to_owned(), self.kr_hash.clone()),
            (KR_HASH_ALGORITHM.to_owned(), self.kr_hash_algorithm().to_owned()),
            (KR_HASH_KEY.to_owned(), self.kr_hash_key.as_str().to_owned()),
            (KR_ANSWER_TYPE.to_owned(), self.kr_answer_type().to_owned()),
            (KR_ANSWER.to_owned(), self.kr_answer.clone()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANSWER: &str = r#"{"shopId":"69876357","orderCycle":"CLOSED","orderStatus":"PAID","_type":"V4/Payment"}"#;
    const HMAC_KEY: &str = "38453613e7f44dc58732bad3dca2bca3";
    const PASSWORD: &str = "testpassword_DEMOPRIVATEKEY23G4475zXZQ2UA5x7M";

    fn payment() -> Object {
        Object::new()
            .with("shopId", "69876357")
            .with("orderCycle", "CLOSED")
            .with("orderStatus", "PAID")
            .typed("V4/Payment")
    }

    #[test]
    fn protocols_vectors() {
        assert_eq!(kr_answer(&payment()), ANSWER);
        assert_eq!(kr_hash(ANSWER, HMAC_KEY), "68f24492825bbdf132c0a7c0aab1c91e481fd6b9b4419479eddddecdd967094f");
        assert_eq!(kr_hash(ANSWER, PASSWORD), "36264cfc6438132b5917ad39de46b00c54d0dbb0109e561ec025e85a7562180b");
    }

    #[test]
    fn browser_return_and_ipn_fields() {
        let browser = KrReturn::browser(&payment(), HMAC_KEY);
        let fields = browser.fields();
        let names: Vec<&str> = fields.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["kr-hash", "kr-hash-algorithm", "kr-hash-key", "kr-answer-type", "kr-answer"]);
        let value = |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap();
        assert_eq!(value("kr-hash"), "68f24492825bbdf132c0a7c0aab1c91e481fd6b9b4419479eddddecdd967094f");
        assert_eq!(value("kr-hash-algorithm"), "sha256_hmac");
        assert_eq!(value("kr-hash-key"), "sha256_hmac");
        assert_eq!(value("kr-answer-type"), "V4/Payment");
        assert_eq!(value("kr-answer"), ANSWER);

        let ipn = KrReturn::ipn(&payment(), PASSWORD);
        assert_eq!(ipn.kr_hash_key.as_str(), "password");
        assert_eq!(ipn.kr_hash, "36264cfc6438132b5917ad39de46b00c54d0dbb0109e561ec025e85a7562180b");
        assert!(kr_hash_matches(&ipn.kr_answer, PASSWORD, &ipn.kr_hash));
        assert!(!kr_hash_matches(&ipn.kr_answer, HMAC_KEY, &ipn.kr_hash));
        assert!(!kr_hash_matches(&ipn.kr_answer.replace("PAID", "UNPAID"), PASSWORD, &ipn.kr_hash));
    }

    #[test]
    fn slashes_are_not_escaped() {
        let object = Object::new().with("url", "https://shop.example/ok").typed("V4/Payment");
        let answer = kr_answer(&object);
        assert_eq!(answer, r#"{"url":"https://shop.example/ok","_type":"V4/Payment"}"#);
        assert_eq!(kr_hash(&answer, HMAC_KEY).len(), 64);
    }
}
