//! HTTP Basic authentication: `shopId:password`, where the password says the mode (TEST or
//! PRODUCTION, research §1.2). Credentials are cached; a positive entry is trusted for
//! [`FRESH_FOR`] so that a password changed with `caisse shop lyra-credentials` (possibly in
//! another process) takes effect within that time, and a password that does not match the
//! cached entry reloads it once before being refused.

use base64::Engine;
use caisse_core::ports::Store;
use caisse_core::{LyraCredentials, Mode, ShopId};
use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

/// How long a cached credential set is trusted without reading the store again.
pub const FRESH_FOR: Duration = Duration::from_secs(30);
/// Longest `Authorization` header read: a shop id, a password and the Basic framing.
pub const AUTHORIZATION_BYTES_MAX: usize = 1024;

/// `Authorization: Basic base64(shopId:password)`; `None` when missing or malformed.
pub fn parse_basic(header: Option<&str>) -> Option<(ShopId, String)> {
    let header = header?.trim();
    if header.len() > AUTHORIZATION_BYTES_MAX {
        return None;
    }
    let (scheme, encoded) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("Basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (shop_id, password) = text.split_once(':')?;
    if shop_id.is_empty() || password.is_empty() {
        return None;
    }
    Some((ShopId(shop_id.to_owned()), password.to_owned()))
}

/// Which password matched, compared in constant time (both are always compared).
pub fn mode_of(credentials: &LyraCredentials, password: &str) -> Option<Mode> {
    let matches = |expected: &str| -> bool {
        // An unset password never matches, even an empty one (parse_basic refuses those too).
        !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(password.as_bytes()))
    };
    let test = matches(&credentials.test_password);
    let production = matches(&credentials.production_password);
    match (test, production) {
        (true, _) => Some(Mode::Test),
        (false, true) => Some(Mode::Production),
        (false, false) => None,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    Authenticated(Mode),
    /// Unknown shop, or a password that is neither of its two.
    Refused,
    /// The store could not be read.
    Unavailable,
}

struct Entry {
    credentials: LyraCredentials,
    loaded_at: Instant,
}

/// Holds only shops that exist and have credentials.
#[derive(Default)]
pub struct CredentialCache {
    entries: RwLock<HashMap<ShopId, Entry>>,
}

impl CredentialCache {
    pub fn new() -> CredentialCache {
        CredentialCache::default()
    }

    pub async fn check(&self, store: &dyn Store, shop_id: &ShopId, password: &str) -> Check {
        if let Some(mode) = self.cached(shop_id, password) {
            return Check::Authenticated(mode);
        }
        match store.lyra_credentials(shop_id).await {
            Ok(Some(credentials)) => {
                let mode = mode_of(&credentials, password);
                self.write().insert(shop_id.clone(), Entry { credentials, loaded_at: Instant::now() });
                mode.map_or(Check::Refused, Check::Authenticated)
            }
            Ok(None) => {
                self.write().remove(shop_id);
                Check::Refused
            }
            Err(error) => {
                tracing::warn!(%error, "credentials lookup failed");
                Check::Unavailable
            }
        }
    }

    fn cached(&self, shop_id: &ShopId, password: &str) -> Option<Mode> {
        let entries = self.entries.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        let entry = entries.get(shop_id)?;
        if entry.loaded_at.elapsed() > FRESH_FOR {
            return None;
        }
        mode_of(&entry.credentials, password)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<ShopId, Entry>> {
        // Inserts and removals are single calls: a panic elsewhere cannot leave half a map.
        self.entries.write().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_header_vector() {
        // research §1.2: the authentication page's own example.
        let header = "Basic Njk4NzYzNTc6dGVzdHBhc3N3b3JkX0RFTU9QUklWQVRFS0VZMjNHNDQ3NXpYWlEyVUE1eDdN";
        let (shop, password) = parse_basic(Some(header)).unwrap();
        assert_eq!(shop.as_str(), "69876357");
        assert_eq!(password, "testpassword_DEMOPRIVATEKEY23G4475zXZQ2UA5x7M");
        assert_eq!(parse_basic(Some(&header.replace("Basic", "basic"))).map(|(shop, _)| shop), Some(shop));
    }

    #[test]
    fn malformed_headers() {
        for header in [None, Some(""), Some("Basic"), Some("Bearer abc"), Some("Basic !!!"), Some("Basic Njk4NzYzNTc=")]
        {
            assert!(parse_basic(header).is_none(), "{header:?}");
        }
        // "69876357:" has no password.
        assert!(parse_basic(Some("Basic Njk4NzYzNTc6")).is_none());
    }

    #[test]
    fn the_password_picks_the_mode() {
        let credentials = LyraCredentials {
            shop_id: ShopId("69876357".into()),
            test_password: "testpassword_A".into(),
            production_password: "prodpassword_B".into(),
            test_hmac_key: "k".into(),
            production_hmac_key: "k".into(),
        };
        assert_eq!(mode_of(&credentials, "testpassword_A"), Some(Mode::Test));
        assert_eq!(mode_of(&credentials, "prodpassword_B"), Some(Mode::Production));
        assert_eq!(mode_of(&credentials, "testpassword_"), None);
        let unset = LyraCredentials { production_password: String::new(), ..credentials };
        assert_eq!(mode_of(&unset, ""), None);
    }
}
