//! 3-D Secure authentications ↔ database values, shared by both backends.

use crate::rows::stored_instant;
use crate::vault::Vault;
use caisse_core::ports::StoreError;
use caisse_core::three_ds::ThreeDsAuthentication;

/// The key of PaReq, PaRes and redirectionData: a keyed hash of a fixed label under a key
/// derived from the vault key, so it is never stored and every instance sharing the vault
/// has it.
pub(crate) fn message_key(vault: &Vault) -> Vec<u8> {
    vault.fingerprint(&["caisse 3-D Secure message key"], "").into_bytes()
}

/// Instants cut to what both databases keep, so that what is written reads back equal.
pub(crate) fn as_stored(authentication: ThreeDsAuthentication) -> ThreeDsAuthentication {
    ThreeDsAuthentication {
        created_at: stored_instant(authentication.created_at),
        decided_at: authentication.decided_at.map(stored_instant),
        pares_used_at: authentication.pares_used_at.map(stored_instant),
        ..authentication
    }
}

pub(crate) fn details_json(authentication: &ThreeDsAuthentication) -> Result<String, StoreError> {
    serde_json::to_string(authentication).map_err(|error| StoreError::Corrupt(format!("3-D Secure details: {error}")))
}

pub(crate) fn decode(details: &str) -> Result<ThreeDsAuthentication, StoreError> {
    serde_json::from_str(details).map_err(|error| StoreError::Corrupt(format!("3-D Secure details: {error}")))
}

/// A change must keep what names the authentication.
pub(crate) fn checked_change(
    current: &ThreeDsAuthentication,
    changed: ThreeDsAuthentication,
) -> Result<ThreeDsAuthentication, StoreError> {
    if changed.id != current.id
        || changed.shop_id != current.shop_id
        || changed.transaction_id != current.transaction_id
    {
        return Err(StoreError::Corrupt("a 3-D Secure change moved its authentication".into()));
    }
    Ok(as_stored(changed))
}
