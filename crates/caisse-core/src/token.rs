//! Payment method tokens (REST V4 `paymentMethodToken`, "alias"): a vault entry a shop may pay
//! with again without the card data. Created by a zero-amount VERIFICATION transaction.

use crate::card::CardSummary;
use crate::shop::{Mode, ShopId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TokenStatus {
    Active,
    Cancelled,
}

impl TokenStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenStatus::Active => "ACTIVE",
            TokenStatus::Cancelled => "CANCELLED",
        }
    }
}

/// What a token pays with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TokenMethod {
    /// A card in the vault (`card.card_id`).
    Card { card: CardSummary },
    /// A SEPA direct debit mandate: payments by this token are SEPA direct debits.
    Sdd { mandate: SepaMandate },
}

/// A recurring SEPA mandate (its unique reference, the RUM, and the debtor's masked IBAN).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SepaMandate {
    pub rum: String,
    pub masked_iban: String,
    pub bic: Option<String>,
    pub signed_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentToken {
    /// 32 lowercase hex digits.
    pub id: String,
    pub shop_id: ShopId,
    pub mode: Mode,
    pub status: TokenStatus,
    pub method: TokenMethod,
    /// The network's reference of the verification that created the token: card payments by
    /// this token send it back (`initialIssuerTransactionIdentifier`) to chain to it.
    pub initial_issuer_transaction_identifier: Option<String>,
    /// The customer as the merchant gave it (REST V4 `customer` object), echoed back.
    #[serde(default)]
    pub customer: serde_json::Map<String, serde_json::Value>,
    pub created_at: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
}

/// Why a token operation is not allowed; nothing changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenRefusal {
    #[error("token already cancelled")]
    AlreadyCancelled,
    #[error("token is active")]
    AlreadyActive,
    /// A card operation on a token that holds no card (a SEPA mandate).
    #[error("token holds no card")]
    NotACard,
}

impl PaymentToken {
    pub fn is_active(&self) -> bool {
        self.status == TokenStatus::Active
    }

    pub fn card(&self) -> Option<&CardSummary> {
        match &self.method {
            TokenMethod::Card { card } => Some(card),
            TokenMethod::Sdd { .. } => None,
        }
    }
}

/// Stops new payments with the token (subscriptions using it stop too).
pub fn cancel(token: &PaymentToken, now: DateTime<Utc>) -> Result<PaymentToken, TokenRefusal> {
    if token.status == TokenStatus::Cancelled {
        return Err(TokenRefusal::AlreadyCancelled);
    }
    Ok(PaymentToken { status: TokenStatus::Cancelled, cancelled_at: Some(now), ..token.clone() })
}

/// The token once its card is replaced by `card`, which a verification has just accepted
/// (its network reference becomes the one card payments chain to); a customer given with
/// the change replaces the one kept.
pub fn renew_card(
    token: &PaymentToken,
    card: CardSummary,
    initial_issuer_transaction_identifier: Option<String>,
    customer: serde_json::Map<String, serde_json::Value>,
) -> Result<PaymentToken, TokenRefusal> {
    if token.status == TokenStatus::Cancelled {
        return Err(TokenRefusal::AlreadyCancelled);
    }
    if token.card().is_none() {
        return Err(TokenRefusal::NotACard);
    }
    let customer = if customer.is_empty() { token.customer.clone() } else { customer };
    Ok(PaymentToken {
        method: TokenMethod::Card { card },
        initial_issuer_transaction_identifier,
        customer,
        ..token.clone()
    })
}

/// Makes a cancelled token usable again (its subscriptions stay cancelled).
pub fn reactivate(token: &PaymentToken) -> Result<PaymentToken, TokenRefusal> {
    if token.status == TokenStatus::Active {
        return Err(TokenRefusal::AlreadyActive);
    }
    Ok(PaymentToken { status: TokenStatus::Active, cancelled_at: None, ..token.clone() })
}
