//! Payment session rows, the same on both backends: the core's session as columns.

use caisse_core::payment_session::{PaymentSession, SessionPayment, SessionStatus};
use caisse_core::ports::StoreError;
use caisse_core::shop::{Mode, ShopId};
use chrono::{DateTime, Utc};

/// The sentinel a session payment's savepoint fails with when the session is not open: it
/// rolls the payment back and becomes `SessionPayError::NotOpen`.
pub(crate) const NOT_OPEN: &str = "payment session not open";

pub(crate) fn payment_json(session: &PaymentSession) -> Result<String, StoreError> {
    serde_json::to_string(&session.payment).map_err(|error| StoreError::Corrupt(format!("session payment: {error}")))
}

/// The columns of a stored session, read back.
pub(crate) struct SessionRow {
    pub(crate) id: String,
    pub(crate) shop_id: String,
    pub(crate) mode: String,
    pub(crate) payment: String,
    pub(crate) request: String,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) expires_at: DateTime<Utc>,
    pub(crate) status: String,
    pub(crate) transaction_id: Option<String>,
}

impl SessionRow {
    pub(crate) fn decode(self) -> Result<PaymentSession, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("payment session {}: {what}", self.id));
        let mode = Mode::parse(&self.mode).ok_or_else(|| corrupt("mode"))?;
        let status =
            SessionStatus::parse(&self.status, self.transaction_id.as_deref()).ok_or_else(|| corrupt("status"))?;
        let payment: SessionPayment = serde_json::from_str(&self.payment).map_err(|_| corrupt("payment"))?;
        Ok(PaymentSession {
            id: self.id,
            shop_id: ShopId(self.shop_id),
            mode,
            payment,
            request: self.request,
            created_at: self.created_at,
            expires_at: self.expires_at,
            status,
        })
    }
}
