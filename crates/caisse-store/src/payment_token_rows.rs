//! Sips payment tokens ↔ database values, shared by both backends.

use crate::rows::stored_instant;
use crate::vault::Vault;
use caisse_core::ShopId;
use caisse_core::card::CardSummary;
use caisse_core::payment_token::{CardPaymentToken, TokenOrigin};
use caisse_core::ports::StoreError;
use chrono::{DateTime, Utc};

/// The signing key of payment tokens: a keyed hash of a fixed label under a key derived from
/// the vault key, so it is never stored and every instance sharing the vault has it.
pub(crate) fn signing_key(vault: &Vault) -> Vec<u8> {
    vault.fingerprint(&["caisse payment token signing key"], "").into_bytes()
}

/// Instants cut to what both databases keep, so that what is written reads back equal.
pub(crate) fn as_stored(token: &CardPaymentToken) -> CardPaymentToken {
    CardPaymentToken {
        created_at: stored_instant(token.created_at),
        expires_at: stored_instant(token.expires_at),
        consumed_at: token.consumed_at.map(stored_instant),
        ..token.clone()
    }
}

/// The card's summary (masked PAN, expiry, brands, vault entry) as JSON.
pub(crate) fn details_json(card: &CardSummary) -> Result<String, StoreError> {
    serde_json::to_string(card).map_err(|error| StoreError::Corrupt(format!("payment token card: {error}")))
}

/// A `card_payment_tokens` row as read.
pub(crate) struct TokenRow {
    pub(crate) id: String,
    pub(crate) shop_id: String,
    pub(crate) consumer_shop_id: String,
    pub(crate) origin: String,
    pub(crate) details: String,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) expires_at: DateTime<Utc>,
    pub(crate) consumed_at: Option<DateTime<Utc>>,
}

impl TokenRow {
    pub(crate) fn decode(self) -> Result<CardPaymentToken, StoreError> {
        let origin = TokenOrigin::parse(&self.origin)
            .ok_or_else(|| StoreError::Corrupt(format!("payment token origin {:?}", self.origin)))?;
        let card: CardSummary = serde_json::from_str(&self.details)
            .map_err(|error| StoreError::Corrupt(format!("payment token card: {error}")))?;
        Ok(CardPaymentToken {
            id: self.id,
            shop_id: ShopId(self.shop_id),
            consumer_id: ShopId(self.consumer_shop_id),
            card,
            origin,
            created_at: self.created_at,
            expires_at: self.expires_at,
            consumed_at: self.consumed_at,
        })
    }
}
