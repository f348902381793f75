//! A hosted payment page session (Form API): the accepted form waiting for the buyer's card.
//! It pays at most once: the store finishes it in the database transaction of its payment.

use crate::money::{Amount, Currency};
use crate::shop::{Mode, ShopId};
use crate::transaction::{CaptureMode, OrderDetails, TransactionId};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// How long the buyer has to pay once the page opened (the platform's 10 minutes).
pub const SESSION_LIFETIME: Duration = Duration::minutes(10);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentSession {
    pub id: String,
    pub shop_id: ShopId,
    pub mode: Mode,
    /// What the core needs to authorise.
    pub payment: SessionPayment,
    /// The adapter's own record of the accepted form (JSON), opaque to the core.
    pub request: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub status: SessionStatus,
}

/// The payment a session asks for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionPayment {
    pub amount: Amount,
    pub currency: Currency,
    pub capture_mode: CaptureMode,
    pub capture_day: u8,
    #[serde(default)]
    pub order: OrderDetails,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionStatus {
    Open,
    Paid(TransactionId),
    Abandoned,
}

impl SessionStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            SessionStatus::Open => "OPEN",
            SessionStatus::Paid(_) => "PAID",
            SessionStatus::Abandoned => "ABANDONED",
        }
    }

    /// From the stored status and transaction id; `None` when they do not fit together.
    pub fn parse(status: &str, transaction_id: Option<&str>) -> Option<SessionStatus> {
        match (status, transaction_id) {
            ("OPEN", None) => Some(SessionStatus::Open),
            ("PAID", Some(id)) => Some(SessionStatus::Paid(TransactionId(id.to_owned()))),
            ("ABANDONED", None) => Some(SessionStatus::Abandoned),
            _ => None,
        }
    }

    pub fn transaction_id(&self) -> Option<&TransactionId> {
        match self {
            SessionStatus::Paid(id) => Some(id),
            _ => None,
        }
    }
}

impl PaymentSession {
    /// A new open session, expiring `SESSION_LIFETIME` after `now`.
    pub fn open(
        shop_id: ShopId,
        mode: Mode,
        payment: SessionPayment,
        request: String,
        now: DateTime<Utc>,
    ) -> PaymentSession {
        PaymentSession {
            id: crate::transaction::new_uuid(),
            shop_id,
            mode,
            payment,
            request,
            created_at: now,
            expires_at: now + SESSION_LIFETIME,
            status: SessionStatus::Open,
        }
    }

    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        now >= self.expires_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_round_trips_and_rejects_mismatches() {
        for status in [SessionStatus::Open, SessionStatus::Paid(TransactionId("t1".into())), SessionStatus::Abandoned] {
            let id = status.transaction_id().map(|id| id.0.clone());
            assert_eq!(SessionStatus::parse(status.as_str(), id.as_deref()), Some(status));
        }
        assert_eq!(SessionStatus::parse("PAID", None), None);
        assert_eq!(SessionStatus::parse("OPEN", Some("t1")), None);
    }

    #[test]
    fn expires_after_ten_minutes() {
        let now = Utc::now();
        let payment = SessionPayment {
            amount: Amount(100),
            currency: Currency::EUR,
            capture_mode: CaptureMode::AuthorCapture,
            capture_day: 0,
            order: OrderDetails::default(),
        };
        let session = PaymentSession::open(ShopId("s".into()), Mode::Test, payment, "{}".into(), now);
        assert!(!session.is_expired(now + Duration::minutes(9)));
        assert!(session.is_expired(now + Duration::minutes(10)));
    }
}
