//! Shops (merchants) and their versioned secret keys.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A shop's identifier on its platform: Sips `merchantId` (15 digits) or Lyra `shopId` (8 digits).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ShopId(pub String);

impl ShopId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ShopId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ShopId({})", self.0)
    }
}

impl fmt::Display for ShopId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One version of a shop's secret key. Versions are immutable once created: a new key is a new
/// version, so a cached key can never go stale.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretKey {
    pub version: u32,
    pub secret: String,
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey(v{}, ****)", self.version)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shop {
    pub id: ShopId,
    pub name: String,
    pub keys: Vec<SecretKey>,
}

impl Shop {
    pub fn key(&self, version: u32) -> Option<&SecretKey> {
        self.keys.iter().find(|key| key.version == version)
    }

    pub fn latest_key(&self) -> Option<&SecretKey> {
        self.keys.iter().max_by_key(|key| key.version)
    }
}

/// Which of a shop's credential sets a request used. REST V4 and the Form API answer in the
/// mode of the password or key that signed the request; nothing else selects it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Mode {
    #[default]
    Test,
    Production,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Test => "TEST",
            Mode::Production => "PRODUCTION",
        }
    }

    pub fn parse(text: &str) -> Option<Mode> {
        match text {
            "TEST" => Some(Mode::Test),
            "PRODUCTION" => Some(Mode::Production),
            _ => None,
        }
    }
}

/// A Sogecommerce (Lyra) shop's REST V4 credentials: one password per mode for HTTP Basic
/// authentication, and one HMAC-SHA-256 key per mode for `kr-hash` on browser returns.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LyraCredentials {
    pub shop_id: ShopId,
    pub test_password: String,
    pub production_password: String,
    pub test_hmac_key: String,
    pub production_hmac_key: String,
}

impl LyraCredentials {
    pub fn password(&self, mode: Mode) -> &str {
        match mode {
            Mode::Test => &self.test_password,
            Mode::Production => &self.production_password,
        }
    }

    pub fn hmac_key(&self, mode: Mode) -> &str {
        match mode {
            Mode::Test => &self.test_hmac_key,
            Mode::Production => &self.production_hmac_key,
        }
    }
}

impl fmt::Debug for LyraCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LyraCredentials({}, ****)", self.shop_id)
    }
}
