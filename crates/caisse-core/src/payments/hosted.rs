//! The Form API hosted payment page: a session opened by an accepted form, paid once with the
//! card the buyer typed, or abandoned (cancel button, or touched after it expired).

use super::{Authorised, NewTransaction, PaymentError, Payments, summary_of};
use crate::command::CardInput;
use crate::notification::Notification;
use crate::operation::OperationName;
use crate::payment_session::{PaymentSession, SessionPayment, SessionStatus};
use crate::ports::{NewCard, SessionPayError, StoreError};
use crate::shop::{Mode, ShopId};
use crate::transaction::{Transaction, TransactionKind};

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("unknown payment session")]
    Unknown,
    /// Paid or abandoned already: the session as it is now.
    #[error("payment session already finished")]
    Finished(Box<PaymentSession>),
    /// Past its expiry: now abandoned.
    #[error("payment session expired")]
    Expired(Box<PaymentSession>),
    #[error(transparent)]
    Payment(#[from] PaymentError),
}

impl From<StoreError> for SessionError {
    fn from(error: StoreError) -> Self {
        SessionError::Payment(PaymentError::Store(error))
    }
}

impl Payments {
    /// Opens a session for an accepted form; `request` is the adapter's record of it.
    pub async fn open_session(
        &self,
        shop_id: ShopId,
        mode: Mode,
        payment: SessionPayment,
        request: String,
    ) -> Result<PaymentSession, StoreError> {
        let session = PaymentSession::open(shop_id, mode, payment, request, self.clock.now());
        self.store.insert_payment_session(&session).await?;
        Ok(session)
    }

    /// A session as it stands now: an open one past its expiry is abandoned on the way.
    pub async fn session(&self, id: &str) -> Result<Option<PaymentSession>, StoreError> {
        let Some(mut session) = self.store.payment_session(id).await? else {
            return Ok(None);
        };
        let now = self.clock.now();
        if session.status == SessionStatus::Open && session.is_expired(now) {
            self.store.abandon_payment_session(id, now).await?;
            // Another request may have finished it meanwhile: the stored state wins.
            session = self.store.payment_session(id).await?.unwrap_or(session);
        }
        Ok(Some(session))
    }

    /// Pays an open session with `card`; refused payments are stored too. `notifications`
    /// gives the IPNs the payment owes, written with it.
    pub async fn pay_session(
        &self,
        session_id: &str,
        card: CardInput,
        notifications: impl FnOnce(&Transaction) -> Vec<Notification>,
    ) -> Result<Authorised, SessionError> {
        let session = self.open_session_or_err(session_id).await?;
        let now = self.clock.now();
        let SessionPayment { amount, currency, capture_mode, capture_day, order } = session.payment.clone();
        let new = NewTransaction {
            shop_id: session.shop_id.clone(),
            // One payment per session: its id is the reference, unique per shop.
            reference: session.id.clone(),
            kind: TransactionKind::Debit,
            amount,
            currency,
            capture_mode,
            capture_day,
            order,
            source_id: None,
            first_operation: OperationName::Author,
            mode: session.mode,
            token_id: None,
            subscription_id: None,
        };
        let decision = self.ask_acquirer(&new, &card, now).await?;
        let summary = summary_of(&card, &decision);
        let new_card = NewCard { pan: card.pan.clone(), summary: summary.clone() };
        let (transaction, operation) = new.into_transaction(&decision, summary, now);
        let owed = notifications(&transaction);
        match self.store.pay_payment_session(session_id, transaction, operation, Some(new_card), owed).await {
            Ok(stored) => {
                stored.assert_invariants();
                Ok(Authorised { transaction: stored, decision })
            }
            Err(error) => {
                if decision.is_accepted() {
                    self.acquirer.reverse(&decision).await;
                }
                match error {
                    SessionPayError::NotOpen => {
                        let now_stored = self.store.payment_session(session_id).await?.ok_or(SessionError::Unknown)?;
                        Err(SessionError::Finished(Box::new(now_stored)))
                    }
                    SessionPayError::Insert(error) => Err(PaymentError::from(error).into()),
                }
            }
        }
    }

    /// The buyer's "cancel and return to the shop".
    pub async fn abandon_session(&self, session_id: &str) -> Result<PaymentSession, SessionError> {
        let session = self.open_session_or_err(session_id).await?;
        if !self.store.abandon_payment_session(session_id, self.clock.now()).await? {
            let now_stored = self.store.payment_session(session_id).await?.ok_or(SessionError::Unknown)?;
            return Err(SessionError::Finished(Box::new(now_stored)));
        }
        Ok(PaymentSession { status: SessionStatus::Abandoned, ..session })
    }

    async fn open_session_or_err(&self, session_id: &str) -> Result<PaymentSession, SessionError> {
        let session = self.store.payment_session(session_id).await?.ok_or(SessionError::Unknown)?;
        if session.status != SessionStatus::Open {
            return Err(SessionError::Finished(Box::new(session)));
        }
        let now = self.clock.now();
        if session.is_expired(now) {
            self.store.abandon_payment_session(session_id, now).await?;
            let now_stored = self.store.payment_session(session_id).await?.unwrap_or(session);
            return Err(SessionError::Expired(Box::new(now_stored)));
        }
        Ok(session)
    }
}
