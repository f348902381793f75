//! The wallet family (`WR_WS_`: addCard, addDirectDebit, getWalletData, getPaymentMeanData,
//! updatePaymentMean, deletePaymentMean, signOff) and the payments by a wallet's card in
//! other families (checkout/walletOrder, cashManagement/walletCreditHolder).
//!
//! One module per method beside this one; these are their shared pieces.
//!
//! Wallet-family answers carry their code as `walletResponseCode` (the office renames it
//! for the whole family, envelope errors included); the payments answer as cardOrder.

use crate::answer::Answer;
use crate::fields::{FieldResult, Fields};
use crate::methods::Context;
use crate::methods::common;
use crate::response_code::{Failure, ResponseCode};
use caisse_core::payments::wallets::{WalletError, WalletPayment};
use caisse_core::wallet::WalletPaymentMean;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// walletResponseCode 01: the wallet, or the mean in it, does not exist (Sogenactif method
/// pages). The dictionary's 01 means "partial success" elsewhere; this is the same code.
const UNKNOWN_WALLET_OR_MEAN: ResponseCode = ResponseCode::PartialSuccess;

/// A payment by a wallet's card as walletOrder and walletCheckEnrollment read it, in the order
/// their errors are reported; the capture defaults are cardOrder's.
pub fn wallet_payment(context: &Context<'_>, fields: &Fields<'_>) -> FieldResult<WalletPayment> {
    let amount = fields.amount("amount")?;
    let currency = fields.currency()?;
    let reference = fields.required_reference("transactionReference")?;
    let merchant_wallet_id = fields.merchant_wallet_id()?;
    let payment_mean_id = fields.payment_mean_id()?;
    let csc = fields.csc()?;
    let capture_day = fields.capture_day()?.unwrap_or(common::DEFAULT_CAPTURE_DAY);
    let capture_mode = fields.capture_mode()?.unwrap_or(common::DEFAULT_CAPTURE_MODE);
    let order = common::order_details(fields)?;
    Ok(WalletPayment {
        shop_id: context.shop_id.clone(),
        merchant_wallet_id,
        payment_mean_id,
        reference,
        amount,
        currency,
        capture_mode,
        capture_day,
        csc,
        order,
        mode: common::SIPS_MODE,
    })
}

/// A core wallet error as a wallet-family answer.
pub fn wallet_failure(error: WalletError) -> Answer {
    match error {
        WalletError::UnknownWallet | WalletError::UnknownPaymentMean => Failure::code(UNKNOWN_WALLET_OR_MEAN).into(),
        WalletError::AlreadyInWallet => Failure::code(ResponseCode::DuplicateTransaction).into(),
        WalletError::BrandNotOnCard => {
            Failure { code: ResponseCode::InvalidTransaction, error_field: Some("paymentMeanBrand") }.into()
        }
        // Only payments ask for a card.
        WalletError::NotACard => {
            Failure { code: ResponseCode::InvalidTransaction, error_field: Some("paymentMeanId") }.into()
        }
        WalletError::Payment(error) => common::failure(error),
    }
}

/// A core wallet error as the answer of a payment by wallet (a responseCode): a mean that
/// cannot pay is an inconsistent `paymentMeanId` (12).
pub fn payment_failure(error: WalletError) -> Answer {
    match error {
        WalletError::UnknownWallet | WalletError::UnknownPaymentMean | WalletError::NotACard => {
            Failure { code: ResponseCode::InvalidTransaction, error_field: Some("paymentMeanId") }.into()
        }
        error => wallet_failure(error),
    }
}

/// An answer done at `at` (`walletActionDateTime`).
pub fn action_answer(at: DateTime<Utc>) -> Answer {
    let mut answer = Answer::new(ResponseCode::Accepted);
    answer.date_time("walletActionDateTime", at);
    answer
}

/// `walletPaymentMeanData`: what the merchant may see of a mean, never its number.
pub fn mean_data(mean: &WalletPaymentMean) -> Map<String, Value> {
    let mut data = Map::new();
    let mut put = |name: &str, value: String| {
        if !value.is_empty() {
            data.insert(name.to_owned(), Value::String(value));
        }
    };
    put("paymentMeanId", mean.payment_mean_id.to_string());
    put("paymentMeanAlias", mean.alias.clone().unwrap_or_default());
    put("maskedPan", mean.masked_number().to_owned());
    put("paymentMeanBrand", mean.brand_name().to_owned());
    if let Some(card) = mean.card() {
        put("panExpiryDate", card.expiry.yyyymm());
    }
    if let Some(mandate) = mean.mandate() {
        put("mandateId", mandate.rum.clone());
    }
    data
}
