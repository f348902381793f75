//! The Form API signature (PROTOCOLS §3): every field whose name starts with `vads_` (empty
//! values included), sorted by name in byte order, values joined with `+`, then `+` and the
//! shop's key for the mode. Forms, returns and IPNs are all signed by this one rule.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha1::{Digest, Sha1};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Which algorithm a shop expects (a shop setting; HMAC-SHA-256 unless set to SHA-1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SignatureAlgorithm {
    /// `base64(HMAC-SHA-256(key, string))`, 44 characters.
    #[default]
    HmacSha256,
    /// `hex(SHA-1(string))`, 40 lowercase hex digits (legacy).
    Sha1,
}

impl SignatureAlgorithm {
    /// The name the back office and caisse's settings use.
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureAlgorithm::HmacSha256 => "HMAC-SHA-256",
            SignatureAlgorithm::Sha1 => "SHA-1",
        }
    }

    pub fn parse(text: &str) -> Option<SignatureAlgorithm> {
        match text {
            "HMAC-SHA-256" => Some(SignatureAlgorithm::HmacSha256),
            "SHA-1" => Some(SignatureAlgorithm::Sha1),
            _ => None,
        }
    }

    pub fn other(self) -> SignatureAlgorithm {
        match self {
            SignatureAlgorithm::HmacSha256 => SignatureAlgorithm::Sha1,
            SignatureAlgorithm::Sha1 => SignatureAlgorithm::HmacSha256,
        }
    }
}

pub const FIELD_PREFIX: &str = "vads_";

/// The string that is signed: the `vads_` values in byte order of their names, `+`, the key.
/// Fields not starting with `vads_` are left out. Names are expected to be unique.
pub fn signing_string<'a>(fields: impl IntoIterator<Item = (&'a str, &'a str)>, key: &str) -> String {
    let mut signed: Vec<(&str, &str)> = fields.into_iter().filter(|(name, _)| name.starts_with(FIELD_PREFIX)).collect();
    // `str` orders by bytes, which is the platform's order (`cavv` < `cavvAlgorithm` < `eci`).
    signed.sort_by(|a, b| a.0.cmp(b.0));
    let mut string = String::new();
    for (_, value) in signed {
        string.push_str(value);
        string.push('+');
    }
    string.push_str(key);
    string
}

/// The signature of `fields` under `key`: what a form must carry and what results and IPNs
/// carry in their `signature` field.
pub fn sign<'a>(
    algorithm: SignatureAlgorithm,
    key: &str,
    fields: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> String {
    let string = signing_string(fields, key);
    match algorithm {
        SignatureAlgorithm::HmacSha256 => {
            // HMAC accepts keys of any length; this cannot fail.
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.as_bytes())
                .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
            mac.update(string.as_bytes());
            BASE64.encode(mac.finalize().into_bytes())
        }
        SignatureAlgorithm::Sha1 => hex_lower(&Sha1::digest(string.as_bytes())),
    }
}

/// Whether `signature` is the signature of `fields`, compared in constant time. SHA-1 hex is
/// accepted in either case (it is not secret; merchants' libraries differ).
pub fn verify<'a>(
    algorithm: SignatureAlgorithm,
    key: &str,
    fields: impl IntoIterator<Item = (&'a str, &'a str)>,
    signature: &str,
) -> bool {
    let expected = sign(algorithm, key, fields);
    let received = match algorithm {
        SignatureAlgorithm::HmacSha256 => signature.to_owned(),
        SignatureAlgorithm::Sha1 => signature.to_ascii_lowercase(),
    };
    expected.as_bytes().ct_eq(received.as_bytes()).into()
}

fn hex_lower(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(DIGITS[usize::from(byte >> 4)] as char);
        text.push(DIGITS[usize::from(byte & 0x0f)] as char);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    use crate::form::test_support::{KEY, PROTOCOLS_VECTOR as VECTOR};

    #[test]
    fn protocols_vector_string() {
        assert_eq!(
            signing_string(VECTOR, KEY),
            "INTERACTIVE+1524+TEST+978+PAYMENT+SINGLE+12345678+20090501193530+654321+V2+1122334455667788"
        );
    }

    #[test]
    fn protocols_vector_sha1() {
        let signature = sign(SignatureAlgorithm::Sha1, KEY, VECTOR);
        assert_eq!(signature, "606b369759fac4f0864144c803c73676cbe470ff");
        assert!(verify(SignatureAlgorithm::Sha1, KEY, VECTOR, &signature));
        assert!(verify(SignatureAlgorithm::Sha1, KEY, VECTOR, &signature.to_ascii_uppercase()));
    }

    #[test]
    fn protocols_vector_hmac_sha256() {
        let signature = sign(SignatureAlgorithm::HmacSha256, KEY, VECTOR);
        assert_eq!(signature, "O1ycab+xOkAmToSWeEE2hj39aAKCQ2IxGK+JxKv8iUI=");
        assert!(verify(SignatureAlgorithm::HmacSha256, KEY, VECTOR, &signature));
    }

    #[test]
    fn utf8_values_vector() {
        // Research §12 vector 2 (eopayment's recorded test).
        let mut fields = VECTOR.to_vec();
        fields.push(("vads_cust_first_name", "Sergheï"));
        fields.push(("vads_cust_last_name", "Mihaï"));
        assert_eq!(sign(SignatureAlgorithm::Sha1, KEY, fields.clone()), "4d2010d3b4566841ee0b0b2c74b6650bce65365e");
        assert_eq!(sign(SignatureAlgorithm::HmacSha256, KEY, fields), "Rd5SCUwK7hjhwx6iNNDVEK+Rstt69dH+Z0F7HTjbyyU=");
    }

    #[test]
    fn wrong_key_value_or_algorithm_fails() {
        let good = sign(SignatureAlgorithm::HmacSha256, KEY, VECTOR);
        assert!(!verify(SignatureAlgorithm::HmacSha256, "1122334455667789", VECTOR, &good));
        let mut changed = VECTOR;
        changed[1] = ("vads_amount", "1525");
        assert!(!verify(SignatureAlgorithm::HmacSha256, KEY, changed, &good));
        assert!(!verify(SignatureAlgorithm::Sha1, KEY, VECTOR, &good));
        assert!(!verify(SignatureAlgorithm::HmacSha256, KEY, VECTOR, ""));
        assert!(!verify(SignatureAlgorithm::HmacSha256, KEY, VECTOR, &good.to_ascii_lowercase()));
    }

    #[test]
    fn other_fields_are_not_signed_and_empty_ones_are() {
        let mut with_others = VECTOR.to_vec();
        with_others.push(("signature", "whatever"));
        with_others.push(("payer", "Payer"));
        assert_eq!(signing_string(with_others, KEY), signing_string(VECTOR, KEY));
        let mut with_empty = VECTOR.to_vec();
        with_empty.push(("vads_cust_state", ""));
        assert_ne!(signing_string(with_empty, KEY), signing_string(VECTOR, KEY));
    }

    #[test]
    fn algorithm_names() {
        for algorithm in [SignatureAlgorithm::HmacSha256, SignatureAlgorithm::Sha1] {
            assert_eq!(SignatureAlgorithm::parse(algorithm.as_str()), Some(algorithm));
            assert_ne!(algorithm.other(), algorithm);
        }
        assert_eq!(SignatureAlgorithm::parse("sha1"), None);
    }

    proptest! {
        #[test]
        fn order_of_posting_does_not_matter(
            fields in prop::collection::btree_map("vads_[a-z_]{1,12}", "[ -~]{0,12}", 0..12),
            rotation in 0usize..12,
        ) {
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
            let mut shuffled = pairs.clone();
            if !shuffled.is_empty() {
                let by = rotation % shuffled.len();
                shuffled.rotate_left(by);
                shuffled.reverse();
            }
            for algorithm in [SignatureAlgorithm::HmacSha256, SignatureAlgorithm::Sha1] {
                let signature = sign(algorithm, KEY, pairs.clone());
                prop_assert!(verify(algorithm, KEY, shuffled.clone(), &signature));
            }
        }
    }
}
