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
