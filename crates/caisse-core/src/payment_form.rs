//! A payment form session: what a REST V4 call without card data (`formToken`) or a signed
//! Form API post asks the hosted page to collect. It expires; the page consumes it once.

use crate::money::{Amount, Currency};
use crate::shop::{Mode, ShopId};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// How long a formToken can open the payment page (the platforms say about 15 minutes).
pub const FORM_TOKEN_LIFETIME: Duration = Duration::minutes(15);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FormPurpose {
    /// Pay `amount`.
    Payment,
    /// Register the card as a token (zero-amount verification).
    Register,
    /// Pay and register the card.
    RegisterPay,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentForm {
    /// The opaque token handed to the merchant.
    pub form_token: String,
    pub shop_id: ShopId,
    pub mode: Mode,
    pub purpose: FormPurpose,
    pub amount: Amount,
    pub currency: Currency,
    /// The request as the merchant sent it (order, customer, options), for the page to use.
    pub request: serde_json::Map<String, serde_json::Value>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Set once the page has turned it into a transaction.
    pub consumed_at: Option<DateTime<Utc>>,
}

impl PaymentForm {
    pub fn is_usable_at(&self, now: DateTime<Utc>) -> bool {
        self.consumed_at.is_none() && now < self.expires_at
    }
}
