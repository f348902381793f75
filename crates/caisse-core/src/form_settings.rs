//! A shop's Form API V2 settings (the hosted payment page's signed form): the key of each
//! mode, the signature algorithm it expects, where its warning e-mails go; and the key that
//! keeps a form's `vads_trans_id` unique per shop per UTC day.

use crate::shop::{Mode, ShopId};
use chrono::NaiveDate;

/// The algorithm a shop's forms are signed with (HMAC-SHA-256 unless set to legacy SHA-1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum FormSignatureAlgorithm {
    #[default]
    HmacSha256,
    Sha1,
}

impl FormSignatureAlgorithm {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            FormSignatureAlgorithm::HmacSha256 => "HMAC_SHA_256",
            FormSignatureAlgorithm::Sha1 => "SHA_1",
        }
    }

    /// The stored name, or the back office's (`HMAC-SHA-256`, `SHA-1`).
    pub fn parse(text: &str) -> Option<FormSignatureAlgorithm> {
        match text {
            "HMAC_SHA_256" | "HMAC-SHA-256" => Some(FormSignatureAlgorithm::HmacSha256),
            "SHA_1" | "SHA-1" => Some(FormSignatureAlgorithm::Sha1),
            _ => None,
        }
    }
}

#[derive(Clone, PartialEq, Eq)]
pub struct FormSettings {
    pub shop_id: ShopId,
    pub test_key: Option<String>,
    pub production_key: Option<String>,
    pub algorithm: FormSignatureAlgorithm,
    /// Where the warning e-mail of a refused form goes; none: the platform's operator.
    pub warning_emails: Vec<String>,
}

impl std::fmt::Debug for FormSettings {
    // Keys are secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FormSettings")
            .field("shop_id", &self.shop_id)
            .field("test_key", &self.test_key.as_ref().map(|_| "****"))
            .field("production_key", &self.production_key.as_ref().map(|_| "****"))
            .field("algorithm", &self.algorithm)
            .field("warning_emails", &self.warning_emails)
            .finish()
    }
}

impl FormSettings {
    /// No key, HMAC-SHA-256, no address: a shop whose forms are all refused until set.
    pub fn unset(shop_id: ShopId) -> FormSettings {
        FormSettings {
            shop_id,
            test_key: None,
            production_key: None,
            algorithm: FormSignatureAlgorithm::HmacSha256,
            warning_emails: Vec::new(),
        }
    }

    /// The key forms of `mode` are signed with, when set.
    pub fn key(&self, mode: Mode) -> Option<&str> {
        match mode {
            Mode::Test => self.test_key.as_deref(),
            Mode::Production => self.production_key.as_deref(),
        }
        .filter(|key| !key.is_empty())
    }
}

/// What makes a form's `vads_trans_id` unique: the shop, a UTC day, the id in lowercase.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FormTransIdKey {
    pub shop_id: ShopId,
    pub day: NaiveDate,
    trans_id: String,
}

impl FormTransIdKey {
    pub fn new(shop_id: ShopId, day: NaiveDate, trans_id: &str) -> FormTransIdKey {
        FormTransIdKey { shop_id, day, trans_id: trans_id.to_ascii_lowercase() }
    }

    /// The id in lowercase.
    pub fn trans_id(&self) -> &str {
        &self.trans_id
    }
}

/// The outcome of reserving a `vads_trans_id`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reservation {
    Reserved,
    /// The shop already used this id (in any case) that day.
    AlreadyUsed,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_case_and_settings_pick_the_mode() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let shop = ShopId("12345678".into());
        assert_eq!(FormTransIdKey::new(shop.clone(), day, "AbC123"), FormTransIdKey::new(shop.clone(), day, "abc123"));
        let mut settings = FormSettings::unset(shop);
        settings.test_key = Some("k".into());
        settings.production_key = Some(String::new());
        assert_eq!(settings.key(Mode::Test), Some("k"));
        assert_eq!(settings.key(Mode::Production), None);
        assert!(!format!("{settings:?}").contains("\"k\""));
        for algorithm in [FormSignatureAlgorithm::HmacSha256, FormSignatureAlgorithm::Sha1] {
            assert_eq!(FormSignatureAlgorithm::parse(algorithm.as_str()), Some(algorithm));
        }
        assert_eq!(FormSignatureAlgorithm::parse("SHA-1"), Some(FormSignatureAlgorithm::Sha1));
    }
}
