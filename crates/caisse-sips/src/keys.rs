//! Shops and their keys, cached. A key version never changes once created (a new key is a
//! new version), so a cached key cannot go stale; a miss — unknown shop, or a version the
//! cached copy lacks because `caisse shop add-key` ran in another process — reloads the shop
//! from the store once.

use caisse_core::ports::Store;
use caisse_core::{SecretKey, Shop, ShopId};
use std::collections::HashMap;
use std::sync::RwLock;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyLookup {
    Found(SecretKey),
    UnknownShop,
    UnknownVersion,
    /// The store could not be read: responseCode 99, and no key to seal with.
    Unavailable,
}

/// Holds only shops that exist, so it grows with the shops an operator creates, not with what
/// callers send.
#[derive(Debug, Default)]
pub struct KeyCache {
    shops: RwLock<HashMap<ShopId, Shop>>,
}

impl KeyCache {
    pub fn new() -> KeyCache {
        KeyCache::default()
    }

    pub async fn lookup(&self, store: &dyn Store, shop_id: &ShopId, version: u32) -> KeyLookup {
        if let Some(key) = self.cached(shop_id, version) {
            return KeyLookup::Found(key);
        }
        match store.shop(shop_id).await {
            Ok(Some(shop)) => {
                let key = shop.key(version).cloned();
                self.write().insert(shop_id.clone(), shop);
                match key {
                    Some(key) => KeyLookup::Found(key),
                    None => KeyLookup::UnknownVersion,
                }
            }
            Ok(None) => KeyLookup::UnknownShop,
            Err(error) => {
                tracing::warn!(%error, "shop lookup failed");
                KeyLookup::Unavailable
            }
        }
    }

    fn cached(&self, shop_id: &ShopId, version: u32) -> Option<SecretKey> {
        let shops = self.shops.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        shops.get(shop_id)?.key(version).cloned()
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<ShopId, Shop>> {
        // A panic elsewhere while holding the lock cannot leave a half-written map: inserts
        // are single calls.
        self.shops.write().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
