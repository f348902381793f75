//! The Form API hosted payment page: a session opened by an accepted form, paid once with the
//! card the buyer typed, or abandoned (cancel button, or touched after it expired).
//!
//! A card enrolled in 3-D Secure pays in two steps: the session is claimed by a transaction
//! waiting for its authentication (in one database transaction), the buyer goes to the ACS,
//! and the PaRes it brings back authorises (or ends) that transaction with the notifications
//! it owes, again in one database transaction.

use super::three_ds::Waiting;
use super::{Authorised, Enrollment, NewTransaction, PaymentError, Payments, ThreeDsError, Validated, summary_of};
use crate::command::CardInput;
use crate::cpay::CpayOption;
use crate::notification::Notification;
use crate::operation::OperationName;
use crate::payment_form::{FormPurpose, PaymentForm};
use crate::payment_session::{PaymentSession, SessionPayment, SessionStatus};
use crate::payment_token::SpendError;
use crate::ports::{ChangeError, NewCard, Owed, SessionPayError, StoreError, ThreeDsClaim};
use crate::shop::{Mode, ShopId};
use crate::three_ds::{self, HolderChoice, MessageKind, Outcome, PaResUse, ThreeDsAuthentication, ThreeDsRefusal};
use crate::token::{PaymentToken, TokenMethod, TokenStatus};
use crate::transaction::{CaptureMode, Transaction, TransactionKey, TransactionKind};

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("unknown payment session")]
    Unknown,
    /// Paid or abandoned already: the session as it is now.
    #[error("payment session already finished")]
    Finished(Box<PaymentSession>),
    /// Past its expiry (still open: `expire_session` abandons it).
    #[error("payment session expired")]
    Expired(Box<PaymentSession>),
    #[error(transparent)]
    Payment(#[from] PaymentError),
    /// The 3-D Secure step could not go on (a PaRes not caisse's, or of another session).
    #[error(transparent)]
    ThreeDs(ThreeDsError),
}

/// What paying a session's card led to.
#[derive(Debug)]
pub enum SessionStep {
    /// Authorised or refused at once: the card is not enrolled in 3-D Secure.
    Paid(Box<Authorised>),
    /// The card is enrolled: the buyer goes to the ACS with the enrolment's PaReq.
    Authenticate(Box<Enrollment>),
}

/// What the buyer posted on a session's page.
#[derive(Debug)]
pub struct SessionCard {
    pub card: CardInput,
    /// What a Cpay card's holder chose.
    pub cpay_option: Option<CpayOption>,
    /// Keep the card as a token if the payment is accepted (Form API `REGISTER_PAY`, or
    /// `ASK_REGISTER_PAY` when the buyer asks).
    pub register: Option<TokenRegistration>,
}

/// The token a payment registers: its id (the platform's or the merchant's) and customer.
#[derive(Clone, Debug)]
pub struct TokenRegistration {
    pub token_id: String,
    pub customer: serde_json::Map<String, serde_json::Value>,
}

impl TokenRegistration {
    /// The token of an accepted payment's card; `None` for a refused one (or one without card).
    fn token_of(&self, transaction: &Transaction, now: chrono::DateTime<chrono::Utc>) -> Option<PaymentToken> {
        let card = transaction.card.clone()?;
        if transaction.token_id.as_deref() != Some(self.token_id.as_str()) {
            return None;
        }
        Some(PaymentToken {
            id: self.token_id.clone(),
            shop_id: transaction.shop_id.clone(),
            mode: transaction.mode,
            status: TokenStatus::Active,
            method: TokenMethod::Card { card },
            initial_issuer_transaction_identifier: transaction.authorisation.network_transaction_id.clone(),
            customer: self.customer.clone(),
            created_at: now,
            cancelled_at: None,
        })
    }
}

/// A paid session's 3-D Secure step as it stands.
#[derive(Clone, Debug)]
pub struct SessionAuthentication {
    pub authentication: ThreeDsAuthentication,
    /// For the ACS, while it has not decided.
    pub pa_req: String,
    /// Once the ACS decided: what the buyer's browser brings back.
    pub pa_res: Option<String>,
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

    /// The session of a REST `formToken`: one per form token whatever the number of times
    /// its page is opened (its id derives from the token; of concurrent openings, one
    /// inserts and the others find it). `None` when the token is unknown, expired, or not a
    /// payment's.
    pub async fn open_form_token_session(
        &self,
        form_token: &str,
        payment: impl FnOnce(&PaymentForm) -> Option<(SessionPayment, String)>,
    ) -> Result<Option<PaymentSession>, StoreError> {
        let id = form_token_session_id(form_token);
        if let Some(session) = self.store.payment_session(&id).await? {
            return Ok(Some(session));
        }
        let now = self.clock.now();
        let Some(form) = self.store.payment_form(form_token).await?.filter(|form| form.is_usable_at(now)) else {
            return Ok(None);
        };
        if form.purpose != FormPurpose::Payment {
            return Ok(None);
        }
        let Some((payment, request)) = payment(&form) else {
            return Ok(None);
        };
        let session = PaymentSession { id, ..PaymentSession::open(form.shop_id, form.mode, payment, request, now) };
        match self.store.insert_payment_session(&session).await {
            Ok(()) => Ok(Some(session)),
            Err(StoreError::AlreadyExists) => self.store.payment_session(&session.id).await,
            Err(error) => Err(error),
        }
    }

    /// A session as stored.
    pub async fn session(&self, id: &str) -> Result<Option<PaymentSession>, StoreError> {
        self.store.payment_session(id).await
    }

    /// Abandons a session past its expiry with the notifications it owes (the buyer came back
    /// too late, or the sweeper found it): an open one, or one whose 3-D Secure step never
    /// came back, whose waiting transaction ends `ABORTED` (the acquirer is never asked). The
    /// session as stored afterwards.
    pub async fn expire_session(
        &self,
        id: &str,
        notifications: Vec<Notification>,
    ) -> Result<Option<PaymentSession>, StoreError> {
        let Some(session) = self.store.payment_session(id).await? else {
            return Ok(None);
        };
        let now = self.clock.now();
        if !session.is_expired(now) {
            return Ok(Some(session));
        }
        match &session.status {
            // Another request may finish it meanwhile: the stored state wins.
            SessionStatus::Open => {
                self.store.abandon_payment_session(id, now, notifications).await?;
            }
            SessionStatus::Paid(_) => self.abandon_authentication(&session, notifications).await?,
            SessionStatus::Abandoned => {}
        }
        self.store.payment_session(id).await
    }

    /// Whether a session is not over: open, or paid by a transaction still waiting for its
    /// 3-D Secure authentication.
    pub async fn session_is_unfinished(&self, session: &PaymentSession) -> Result<bool, StoreError> {
        match &session.status {
            SessionStatus::Open => Ok(true),
            SessionStatus::Paid(id) => {
                let key = TransactionKey::Id(id.clone());
                let transaction = self.store.transaction(&session.shop_id, &key).await?;
                Ok(transaction.is_some_and(|transaction| transaction.status == three_ds::WAITING))
            }
            SessionStatus::Abandoned => Ok(false),
        }
    }

    /// Ends the waiting transaction of a session whose buyer left during 3-D Secure: the ACS
    /// decides "cancelled" if it has not decided, then the authentication is spent with the
    /// transaction's end and the notifications, in one store call. Already completed (the
    /// PaRes came back meanwhile): nothing changes.
    async fn abandon_authentication(
        &self,
        session: &PaymentSession,
        notifications: Vec<Notification>,
    ) -> Result<(), StoreError> {
        let Some(transaction_id) = session.status.transaction_id() else {
            return Ok(());
        };
        let Some(authentication) = self.store.three_ds_of_transaction(transaction_id).await? else {
            return Ok(());
        };
        let now = self.clock.now();
        if authentication.outcome.is_none() {
            let decide = Box::new(move |current: &ThreeDsAuthentication| current.decide(HolderChoice::Cancel, now));
            match self.store.change_three_ds(&authentication.id, decide).await {
                Ok(_) | Err(ChangeError::Refused(_)) => {}
                Err(ChangeError::NotFound) => return Ok(()),
                Err(ChangeError::Store(error)) => return Err(error),
            }
        }
        let spend = Box::new(move |current: &ThreeDsAuthentication| current.spend(PaResUse::Ordered, now));
        let end = Box::new(move |tx: &Transaction| three_ds::end_unauthenticated(tx, Outcome::Cancelled, now));
        let owed = Box::new(move |_: &Transaction| Owed::notifications(notifications));
        match self.store.complete_three_ds(&authentication.id, spend, end, owed).await {
            Ok(_) | Err(ChangeError::Refused(_) | ChangeError::NotFound) => Ok(()),
            Err(ChangeError::Store(error)) => Err(error),
        }
    }

    /// Unfinished sessions past their expiry, for the sweeper.
    pub async fn expired_sessions(&self, limit: usize) -> Result<Vec<PaymentSession>, StoreError> {
        self.store.expired_payment_sessions(self.clock.now(), limit).await
    }

    /// Pays an open session with the buyer's card; refused payments are stored too. A card
    /// enrolled in 3-D Secure claims the session with its waiting transaction and returns the
    /// enrolment. A session of no amount (the Form API's `REGISTER`) checks the card with a
    /// zero-amount verification instead, and registers it if the issuer accepts. `notifications` gives the IPNs a payment made at once owes, written with it
    /// (and with the token it registers).
    pub async fn pay_session(
        &self,
        session_id: &str,
        posted: SessionCard,
        notifications: impl FnOnce(&Transaction) -> Vec<Notification>,
    ) -> Result<SessionStep, SessionError> {
        let SessionCard { card, cpay_option, register } = posted;
        let session = self.open_session_or_err(session_id).await?;
        // A session without an amount registers the card: a verification, without 3-D Secure.
        let verification = session.payment.amount.is_zero();
        if !verification && self.acquirer.three_ds_enrolment(&card.pan).is_enrolled() {
            let token_id = register.map(|register| register.token_id);
            return self.enrol_session(session, card, cpay_option, token_id).await;
        }
        let now = self.clock.now();
        let SessionPayment { amount, currency, capture_mode, capture_day, order } = session.payment.clone();
        let new = NewTransaction {
            shop_id: session.shop_id.clone(),
            // One payment per session: its id is the reference, unique per shop.
            reference: session.id.clone(),
            kind: if verification { TransactionKind::Verification } else { TransactionKind::Debit },
            amount,
            currency,
            capture_mode: if verification { CaptureMode::Immediate } else { capture_mode },
            capture_day,
            order,
            source_id: None,
            first_operation: OperationName::Author,
            mode: session.mode,
            token_id: None,
            subscription_id: None,
            cpay_option,
        };
        let decision = self.ask_acquirer(&new, &card, now).await?;
        let register = register.filter(|_| decision.is_accepted());
        let new = NewTransaction { token_id: register.as_ref().map(|register| register.token_id.clone()), ..new };
        let summary = summary_of(&card, &decision);
        let new_card = NewCard { pan: card.pan.clone(), summary: summary.clone() };
        let (transaction, operation) = new.into_transaction(&decision, summary, now);
        let token = register.and_then(|register| register.token_of(&transaction, now));
        let owed = Owed { notifications: notifications(&transaction), token };
        match self.store.pay_payment_session(session_id, transaction, operation, Some(new_card), owed).await {
            Ok(stored) => {
                stored.assert_invariants();
                Ok(SessionStep::Paid(Box::new(Authorised { transaction: stored, decision })))
            }
            Err(error) => {
                if decision.is_accepted() {
                    self.acquirer.reverse(&decision).await;
                }
                match error {
                    SessionPayError::NotOpen => Err(self.finished(session_id).await),
                    SessionPayError::Insert(error) => Err(PaymentError::from(error).into()),
                }
            }
        }
    }

    /// The waiting transaction of an enrolled card, claiming the session.
    /// `token_id`: the token the payment registers if accepted; the waiting transaction
    /// carries it until then.
    async fn enrol_session(
        &self,
        session: PaymentSession,
        card: CardInput,
        cpay_option: Option<CpayOption>,
        token_id: Option<String>,
    ) -> Result<SessionStep, SessionError> {
        let summary = self.summary_from_bin(&card);
        let new_card = NewCard { pan: card.pan.clone(), summary: summary.clone() };
        let SessionPayment { amount, currency, capture_mode, capture_day, order } = session.payment;
        let waiting = Waiting {
            shop_id: session.shop_id,
            reference: session.id.clone(),
            amount,
            currency,
            capture_mode,
            capture_day,
            order,
            mode: session.mode,
            cpay_option,
            token_id,
        };
        let claim = ThreeDsClaim::PaymentSession(session.id.clone());
        match self.enrol(waiting, &card, summary, Some(new_card), claim).await {
            Ok(enrollment) => Ok(SessionStep::Authenticate(Box::new(enrollment))),
            Err(SpendError::SessionNotOpen) => Err(self.finished(&session.id).await),
            Err(SpendError::DuplicateReference) => Err(PaymentError::DuplicateReference.into()),
            Err(SpendError::Store(error)) => Err(error.into()),
            Err(SpendError::Used) => Err(StoreError::Corrupt("a session spent a payment token".into()).into()),
        }
    }

    /// The 3-D Secure step of a session paid by an enrolled card; `None` when its payment
    /// needed none.
    pub async fn session_authentication(
        &self,
        session: &PaymentSession,
    ) -> Result<Option<SessionAuthentication>, StoreError> {
        let Some(transaction_id) = session.status.transaction_id() else {
            return Ok(None);
        };
        let Some(authentication) = self.store.three_ds_of_transaction(transaction_id).await? else {
            return Ok(None);
        };
        let key = self.store.three_ds_message_key();
        Ok(Some(SessionAuthentication {
            pa_req: three_ds::sign(MessageKind::PaReq, &authentication.id, &key),
            pa_res: authentication.outcome.map(|_| three_ds::sign(MessageKind::PaRes, &authentication.id, &key)),
            authentication,
        }))
    }

    /// The PaRes the buyer's browser brought back from the ACS: authorises (or ends) the
    /// session's waiting transaction, with the notifications it owes and the token it
    /// registers (`customer`: the token's, when the waiting transaction names one), in one
    /// store call.
    pub async fn complete_session_authentication(
        &self,
        session_id: &str,
        pa_res: &str,
        customer: serde_json::Map<String, serde_json::Value>,
        notifications: impl FnOnce(&Transaction, &ThreeDsAuthentication) -> Vec<Notification> + Send + 'static,
    ) -> Result<Validated, SessionError> {
        let session = self.store.payment_session(session_id).await?.ok_or(SessionError::Unknown)?;
        let Some(step) = self.session_authentication(&session).await? else {
            return Err(SessionError::Finished(Box::new(session)));
        };
        let key = self.store.three_ds_message_key();
        let named = three_ds::verify(MessageKind::PaRes, pa_res, &key).map_err(|error| {
            SessionError::ThreeDs(ThreeDsError::Message { field: super::ThreeDsField::PaRes, error })
        })?;
        if named != step.authentication.id {
            return Err(SessionError::ThreeDs(ThreeDsError::OtherTransaction(super::ThreeDsField::PaRes)));
        }
        let authentication = step.authentication;
        let now = self.clock.now();
        if authentication.spend(PaResUse::Ordered, now).is_err() {
            // Already completed (a second post of the PaRes) or not decided yet.
            return Err(SessionError::Finished(Box::new(session)));
        }
        let key = TransactionKey::Id(authentication.transaction_id.clone());
        let current = self.transaction(&session.shop_id, &key).await?;
        let spend = Box::new(move |current: &ThreeDsAuthentication| current.spend(PaResUse::Ordered, now));
        let decided = authentication.clone();
        let register =
            current.token_id.clone().map(|token_id| TokenRegistration { token_id, customer: customer.clone() });
        let owed = Box::new(move |transaction: &Transaction| Owed {
            token: register.and_then(|register| register.token_of(transaction, now)),
            notifications: notifications(transaction, &decided),
        });
        match self.finish(&authentication, &current, spend, owed).await {
            Ok(validated) => Ok(validated),
            Err(ThreeDsError::Refused(ThreeDsRefusal::PaResUsed)) => Err(self.finished(session_id).await),
            Err(ThreeDsError::Payment(error)) => Err(error.into()),
            Err(error) => Err(SessionError::ThreeDs(error)),
        }
    }

    /// The buyer's "cancel and return to the shop", with the notifications it owes.
    pub async fn abandon_session(
        &self,
        session_id: &str,
        notifications: Vec<Notification>,
    ) -> Result<PaymentSession, SessionError> {
        let session = self.open_session_or_err(session_id).await?;
        if !self.store.abandon_payment_session(session_id, self.clock.now(), notifications).await? {
            return Err(self.finished(session_id).await);
        }
        Ok(PaymentSession { status: SessionStatus::Abandoned, ..session })
    }

    /// The error for a session that was finished meanwhile: as it is stored now.
    async fn finished(&self, session_id: &str) -> SessionError {
        match self.store.payment_session(session_id).await {
            Ok(Some(session)) => SessionError::Finished(Box::new(session)),
            Ok(None) => SessionError::Unknown,
            Err(error) => error.into(),
        }
    }

    async fn open_session_or_err(&self, session_id: &str) -> Result<PaymentSession, SessionError> {
        let session = self.store.payment_session(session_id).await?.ok_or(SessionError::Unknown)?;
        if session.status != SessionStatus::Open {
            return Err(SessionError::Finished(Box::new(session)));
        }
        if session.is_expired(self.clock.now()) {
            // Abandoned by `expire_session`, with the notifications the adapter makes.
            return Err(SessionError::Expired(Box::new(session)));
        }
        Ok(session)
    }
}

/// 32 hex digits of SHA-256 of the form token: a session id no one can derive without the
/// token, the same for every opening of its page.
fn form_token_session_id(form_token: &str) -> String {
    use sha2::Digest;
    hex::encode(&sha2::Sha256::digest(format!("caisse-form-token-session:{form_token}").as_bytes())[..16])
}
