//! A posted form as the platform sees it: the `vads_` fields (in posted order) and
//! `signature`; everything else (the submit button, a merchant's own inputs) is ignored.
//!
//! The checks run in this order, each step needing the one before:
//! 1. [`FormPost::shop`]: `signature` present (70), then `vads_site_id` (02) and
//!    `vads_ctx_mode` (11), which pick the shop and its key; a field posted twice is refused
//!    here (the signature would not say which value counts).
//! 2. the caller looks the shop up: none, or no key for the mode, is [`FormError::unknown_shop`].
//! 3. [`FormPost::verify_signature`] with the shop's algorithm and key (00, or 204 when the
//!    form verifies with the other algorithm).
//! 4. [`PaymentRequest::parse`](super::PaymentRequest::parse): every field (`request`).
//! 5. the caller reserves `vads_trans_id` with [`trans_id_key`](super::trans_id_key) (03).

use super::dictionary;
use super::error::{FormError, OTHER_NUMBER};
use super::format::conforms;
use super::signature::{FIELD_PREFIX, SignatureAlgorithm, verify};
use caisse_core::{Mode, ShopId};

pub const SIGNATURE: &str = "signature";

#[derive(Clone, PartialEq, Eq)]
pub struct FormPost {
    fields: Vec<(String, String)>,
    signature: Option<String>,
    /// The first name posted twice, if any.
    duplicate: Option<String>,
}

impl std::fmt::Debug for FormPost {
    // Values may hold card data or personal data: names only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.fields.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("FormPost").field("fields", &names).finish_non_exhaustive()
    }
}

impl FormPost {
    /// Reads the decoded name/value pairs of an `application/x-www-form-urlencoded` body.
    /// Never fails: a bad form still needs its mode and language for the error page.
    pub fn from_pairs<N, V>(pairs: impl IntoIterator<Item = (N, V)>) -> FormPost
    where
        N: AsRef<str>,
        V: AsRef<str>,
    {
        let mut post = FormPost { fields: Vec::new(), signature: None, duplicate: None };
        for (name, value) in pairs {
            let (name, value) = (name.as_ref(), value.as_ref());
            let seen = if name == SIGNATURE {
                post.signature.replace(value.to_owned()).is_some()
            } else if name.starts_with(FIELD_PREFIX) {
                let seen = post.fields.iter().any(|(posted, _)| posted == name);
                if !seen {
                    post.fields.push((name.to_owned(), value.to_owned()));
                }
                seen
            } else {
                false
            };
            if seen && post.duplicate.is_none() {
                post.duplicate = Some(name.to_owned());
            }
        }
        post
    }

    /// The `vads_` fields as posted (first value of each name), empty ones included: what
    /// the signature covers and what results echo.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(name, value)| (name.as_str(), value.as_str()))
    }

    /// The value as posted, possibly empty.
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(posted, _)| posted == name).map(|(_, value)| value.as_str())
    }

    /// The value when given: absent and empty are both "not given".
    pub fn value(&self, name: &str) -> Option<&str> {
        self.raw(name).filter(|value| !value.is_empty())
    }

    /// The mode to show the error page in, before anything is checked: PRODUCTION only when
    /// the form says so exactly (a buyer then sees the generic message).
    pub fn page_mode(&self) -> Mode {
        match self.value("vads_ctx_mode") {
            Some("PRODUCTION") => Mode::Production,
            _ => Mode::Test,
        }
    }

    /// `vads_language` as posted, for the error page.
    pub fn page_language(&self) -> Option<&str> {
        self.value("vads_language")
    }

    /// Step 1: the shop and mode whose key signs this form.
    pub fn shop(&self) -> Result<(ShopId, Mode), FormError> {
        if self.signature.as_deref().is_none_or(str::is_empty) {
            return Err(FormError::signature_missing());
        }
        if let Some(name) = &self.duplicate {
            return Err(if name == SIGNATURE {
                FormError::signature()
            } else {
                let number = dictionary::lookup(name).map_or(OTHER_NUMBER, |(spec, _)| spec.number);
                FormError::format(name.clone(), number)
            });
        }
        let site = dictionary::spec("vads_site_id");
        let site_id = match self.value(site.name) {
            None => return Err(FormError::missing(site.name, site.number)),
            Some(id) if !conforms(site.format, id) => return Err(FormError::format(site.name, site.number)),
            Some(id) => ShopId(id.to_owned()),
        };
        let ctx = dictionary::spec("vads_ctx_mode");
        let mode = match self.value(ctx.name) {
            None => return Err(FormError::missing(ctx.name, ctx.number)),
            Some(mode) => Mode::parse(mode).ok_or(FormError::format(ctx.name, ctx.number))?,
        };
        Ok((site_id, mode))
    }

    /// Step 3: the signature under the shop's algorithm and key for the mode.
    pub fn verify_signature(&self, algorithm: SignatureAlgorithm, key: &str) -> Result<(), FormError> {
        let signature = self.signature.as_deref().unwrap_or_default();
        if signature.is_empty() {
            return Err(FormError::signature_missing());
        }
        if verify(algorithm, key, self.fields(), signature) {
            Ok(())
        } else if verify(algorithm.other(), key, self.fields(), signature) {
            Err(FormError::signature_algorithm())
        } else {
            Err(FormError::signature())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::signature::sign;
    use super::*;

    use crate::form::test_support::{KEY, PROTOCOLS_VECTOR};

    fn base() -> Vec<(String, String)> {
        PROTOCOLS_VECTOR.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
    }

    fn signed(mut pairs: Vec<(String, String)>, algorithm: SignatureAlgorithm) -> Vec<(String, String)> {
        let signature = sign(algorithm, KEY, pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        pairs.push(("signature".into(), signature));
        pairs.push(("payer".into(), "Payer".into()));
        pairs
    }

    fn set(pairs: &mut [(String, String)], name: &str, value: &str) {
        pairs.iter_mut().find(|(n, _)| n == name).unwrap().1 = value.into();
    }

    #[test]
    fn protocols_vector_verifies_and_names_the_shop() {
        let post = FormPost::from_pairs(signed(base(), SignatureAlgorithm::HmacSha256));
        assert_eq!(post.shop(), Ok((ShopId("12345678".into()), Mode::Test)));
        assert_eq!(post.verify_signature(SignatureAlgorithm::HmacSha256, KEY), Ok(()));
        assert_eq!(post.raw("payer"), None);
        assert_eq!(post.fields().count(), 10);
    }

    #[test]
    fn signature_errors() {
        let mut pairs = signed(base(), SignatureAlgorithm::HmacSha256);
        set(&mut pairs, "vads_amount", "1525");
        let post = FormPost::from_pairs(pairs);
        assert_eq!(post.verify_signature(SignatureAlgorithm::HmacSha256, KEY), Err(FormError::signature()));

        let sha1 = FormPost::from_pairs(signed(base(), SignatureAlgorithm::Sha1));
        assert_eq!(sha1.verify_signature(SignatureAlgorithm::HmacSha256, KEY), Err(FormError::signature_algorithm()));
        assert_eq!(sha1.verify_signature(SignatureAlgorithm::Sha1, KEY), Ok(()));
        assert_eq!(sha1.verify_signature(SignatureAlgorithm::Sha1, "other"), Err(FormError::signature()));

        for absent in [base(), {
            let mut p = base();
            p.push(("signature".into(), String::new()));
            p
        }] {
            let post = FormPost::from_pairs(absent);
            assert_eq!(post.shop(), Err(FormError::signature_missing()));
            assert_eq!(post.verify_signature(SignatureAlgorithm::HmacSha256, KEY), Err(FormError::signature_missing()));
        }
    }

    #[test]
    fn shop_fields() {
        let check = |name: &str, value: Option<&str>, expected: FormError| {
            let mut pairs = base();
            match value {
                Some(value) => set(&mut pairs, name, value),
                None => pairs.retain(|(n, _)| n != name),
            }
            let post = FormPost::from_pairs(signed(pairs, SignatureAlgorithm::HmacSha256));
            assert_eq!(post.shop(), Err(expected), "{name}={value:?}");
        };
        check("vads_site_id", None, FormError::missing("vads_site_id", 2));
        check("vads_site_id", Some(""), FormError::missing("vads_site_id", 2));
        check("vads_site_id", Some("1234567"), FormError::format("vads_site_id", 2));
        check("vads_ctx_mode", None, FormError::missing("vads_ctx_mode", 11));
        check("vads_ctx_mode", Some("PROD"), FormError::format("vads_ctx_mode", 11));
        check("vads_ctx_mode", Some("test"), FormError::format("vads_ctx_mode", 11));
    }

    #[test]
    fn duplicates_are_refused() {
        let mut pairs = signed(base(), SignatureAlgorithm::HmacSha256);
        pairs.push(("vads_amount".into(), "1".into()));
        assert_eq!(FormPost::from_pairs(pairs).shop(), Err(FormError::format("vads_amount", 9)));
        let mut pairs = signed(base(), SignatureAlgorithm::HmacSha256);
        pairs.push(("signature".into(), "x".into()));
        assert_eq!(FormPost::from_pairs(pairs).shop(), Err(FormError::signature()));
        // Names outside vads_ may repeat.
        let mut pairs = signed(base(), SignatureAlgorithm::HmacSha256);
        pairs.push(("payer".into(), "again".into()));
        assert!(FormPost::from_pairs(pairs).shop().is_ok());
    }

    #[test]
    fn page_hints() {
        let mut pairs = base();
        assert_eq!(FormPost::from_pairs(pairs.clone()).page_mode(), Mode::Test);
        set(&mut pairs, "vads_ctx_mode", "PRODUCTION");
        pairs.push(("vads_language".into(), "en".into()));
        let post = FormPost::from_pairs(pairs);
        assert_eq!(post.page_mode(), Mode::Production);
        assert_eq!(post.page_language(), Some("en"));
        assert!(!format!("{post:?}").contains("1524"));
    }
}
