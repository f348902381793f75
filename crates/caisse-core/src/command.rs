//! What adapters ask the core to do, already validated and typed. Adapters build these from
//! their wire format; the core never sees a wire field name.

use crate::card::{CardBrand, CardExpiry, Pan};
use crate::money::{Amount, Currency};
use crate::shop::{Mode, ShopId};
use crate::transaction::{CaptureMode, OrderDetails, TransactionKey};

/// Card data as the cardholder typed it. The CVV lives only as long as this value.
#[derive(Clone, Debug)]
pub struct CardInput {
    pub pan: Pan,
    pub expiry: CardExpiry,
    /// Never stored; `Debug` of the command shows it, so commands are never logged whole.
    pub csc: Option<String>,
    /// The brand the cardholder chose on a co-badged card.
    pub brand_choice: Option<CardBrand>,
}

/// Authorise (and, per capture mode, later capture) a card payment.
#[derive(Clone, Debug)]
pub struct Authorise {
    pub shop_id: ShopId,
    pub reference: String,
    pub amount: Amount,
    pub currency: Currency,
    pub capture_mode: CaptureMode,
    pub capture_day: u8,
    pub card: CardInput,
    pub order: OrderDetails,
    pub mode: Mode,
}

/// A payment by a shop's token (REST V4 `formAction: SILENT` + `paymentMethodToken`).
#[derive(Clone, Debug)]
pub struct PayWithToken {
    pub shop_id: ShopId,
    pub token_id: String,
    pub amount: Amount,
    pub currency: Currency,
    pub capture_mode: CaptureMode,
    pub capture_day: u8,
    pub order: OrderDetails,
    pub mode: Mode,
    /// The chaining reference the merchant sends back (`initialIssuerTransactionIdentifier`).
    pub initial_issuer_transaction_identifier: Option<String>,
}

/// Register a card as a token, checked by a zero-amount VERIFICATION authorisation.
#[derive(Clone, Debug)]
pub struct CreateToken {
    pub shop_id: ShopId,
    pub card: CardInput,
    pub currency: Currency,
    pub customer: serde_json::Map<String, serde_json::Value>,
    pub order: OrderDetails,
    pub mode: Mode,
}

/// REST V4 `Transaction/Update`.
#[derive(Clone, Debug)]
pub struct UpdateTransaction {
    pub shop_id: ShopId,
    pub key: TransactionKey,
    pub amount: Option<Amount>,
    pub capture_date: Option<chrono::NaiveDate>,
    pub validate_automatically: bool,
}

/// A cash-management operation on an existing transaction.
#[derive(Clone, Debug)]
pub struct CashOperation {
    pub shop_id: ShopId,
    pub key: TransactionKey,
    pub amount: Amount,
    pub currency: Currency,
}

/// A new authorisation on the card of an earlier transaction of the same shop.
#[derive(Clone, Debug)]
pub struct Duplicate {
    pub shop_id: ShopId,
    pub from: TransactionKey,
    pub reference: String,
    pub amount: Amount,
    pub currency: Currency,
    pub capture_mode: Option<CaptureMode>,
    pub capture_day: Option<u8>,
    pub order: OrderDetails,
    pub mode: Mode,
}

/// A credit to a card with no original transaction.
#[derive(Clone, Debug)]
pub struct CreditHolder {
    pub shop_id: ShopId,
    pub reference: String,
    pub amount: Amount,
    pub currency: Currency,
    pub card: CardInput,
    pub order: OrderDetails,
    pub mode: Mode,
}
