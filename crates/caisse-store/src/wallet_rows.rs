//! Wallet rows ↔ core structs, shared by both backends.

use crate::rows::stored_instant;
use crate::vault::Vault;
use caisse_core::ports::StoreError;
use caisse_core::token::TokenMethod;
use caisse_core::wallet::{NewWalletMean, Wallet, WalletPaymentMean};
use caisse_core::{Pan, ShopId};
use chrono::{DateTime, Utc};

/// A new mean as it will be stored: instants cut to microseconds, the rank still unknown.
pub(crate) fn as_stored(mut mean: NewWalletMean) -> NewWalletMean {
    mean.at = stored_instant(mean.at);
    mean
}

/// The mean's fingerprint: a keyed hash of its card number or IBAN within its wallet, so the
/// same card in two wallets gives two unrelated fingerprints.
pub(crate) fn fingerprint(vault: &Vault, mean: &NewWalletMean) -> String {
    vault.fingerprint(&[mean.shop_id.as_str(), &mean.merchant_wallet_id], &mean.identity())
}

pub(crate) fn method_json(method: &TokenMethod) -> Result<String, StoreError> {
    serde_json::to_string(method).map_err(|error| StoreError::Corrupt(format!("wallet payment mean: {error}")))
}

pub(crate) fn rank_column(rank: u32) -> i64 {
    i64::from(rank)
}

pub(crate) fn rank_of(column: i64) -> Result<u32, StoreError> {
    u32::try_from(column).map_err(|_| StoreError::Corrupt(format!("payment_mean_id {column}")))
}

/// The mean a new row holds.
pub(crate) fn new_mean(mean: &NewWalletMean, rank: u32) -> WalletPaymentMean {
    WalletPaymentMean {
        payment_mean_id: rank,
        alias: mean.alias.clone(),
        method: mean.method.clone(),
        created_at: mean.at,
    }
}

pub(crate) fn wallet(
    shop_id: &ShopId,
    merchant_wallet_id: &str,
    created_at: DateTime<Utc>,
    last_action_at: DateTime<Utc>,
) -> Wallet {
    Wallet { shop_id: shop_id.clone(), merchant_wallet_id: merchant_wallet_id.to_owned(), created_at, last_action_at }
}

/// A `wallet_payment_means` row as read.
pub(crate) struct MeanRow<'a> {
    pub(crate) payment_mean_id: i64,
    pub(crate) alias: Option<String>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) details: &'a str,
}

impl MeanRow<'_> {
    pub(crate) fn decode(self) -> Result<WalletPaymentMean, StoreError> {
        let payment_mean_id = rank_of(self.payment_mean_id)?;
        let method = serde_json::from_str(self.details).map_err(|error| {
            StoreError::Corrupt(format!("details of wallet payment mean {payment_mean_id}: {error}"))
        })?;
        Ok(WalletPaymentMean { payment_mean_id, alias: self.alias, method, created_at: self.created_at })
    }
}

/// The vault entry of a new card mean, encrypted; `None` for a mandate.
pub(crate) fn sealed_card(
    vault: &Vault,
    mean: &NewWalletMean,
) -> Result<Option<(String, crate::vault::SealedPan)>, StoreError> {
    match &mean.secret {
        caisse_core::wallet::WalletSecret::Card(card) => {
            let pan: &Pan = &card.pan;
            Ok(Some((card.summary.card_id.clone(), vault.seal(&card.summary.card_id, pan)?)))
        }
        caisse_core::wallet::WalletSecret::Iban(_) => Ok(None),
    }
}
