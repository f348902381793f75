//! The use cases. Each one: check what can be checked without I/O, ask the acquirer, then make
//! the change in one store call (one database transaction). Adapters call these and nothing else.

use crate::card::CardSummary;
use crate::clock::Clock;
use crate::command::{Authorise, CardInput, CashOperation, CreditHolder, Duplicate};
use crate::money::{Amount, Currency};
use crate::operation::{Operation, OperationName};
use crate::ports::{
    Acquirer, ApplyError, AuthorisationDecision, AuthorisationRequest, BatchReport, InsertError, NewCard, Store,
    StoreError,
};
use crate::shop::{Mode, ShopId};
use crate::token::SepaMandate;
use crate::transaction::{
    self, AuthorisationDetails, CaptureMode, OrderDetails, Refusal, Transaction, TransactionId, TransactionKey,
    TransactionKind, TransactionStatus, Transition,
};
use std::sync::Arc;

mod form;
mod hosted;
mod orders;
pub mod payment_tokens;
mod sepa;
mod subscriptions;
mod three_ds;
mod tokens;
pub mod wallets;

pub use hosted::{SessionAuthentication, SessionCard, SessionError, SessionStep, TokenRegistration};
pub use subscriptions::{InstallmentReport, SubscriptionError};
pub use three_ds::{AcsSession, Enrollment, ThreeDsError, ThreeDsField, ValidateAuthentication, Validated};
pub use tokens::{Registered, TokenError};

#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    #[error("unknown transaction")]
    UnknownTransaction,
    #[error("transactionReference already used")]
    DuplicateReference,
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The acquirer could not be reached (its code: 90 or 99). Nothing was stored, so the
    /// merchant may retry with the same reference.
    #[error("acquirer unavailable ({0})")]
    AcquirerUnavailable(String),
    /// The source transaction of a duplicate has no card to authorise again.
    #[error("source transaction has no card")]
    NoCard,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<InsertError> for PaymentError {
    fn from(error: InsertError) -> Self {
        match error {
            InsertError::DuplicateReference => PaymentError::DuplicateReference,
            InsertError::Store(error) => PaymentError::Store(error),
        }
    }
}

impl From<ApplyError> for PaymentError {
    fn from(error: ApplyError) -> Self {
        match error {
            ApplyError::NotFound => PaymentError::UnknownTransaction,
            ApplyError::Refused(refusal) => PaymentError::Refused(refusal),
            ApplyError::Store(error) => PaymentError::Store(error),
        }
    }
}

/// A new transaction and the acquirer's answer to it, accepted or refused.
#[derive(Clone, Debug)]
pub struct Authorised {
    pub transaction: Transaction,
    pub decision: AuthorisationDecision,
}

#[derive(Clone)]
pub struct Payments {
    store: Arc<dyn Store>,
    acquirer: Arc<dyn Acquirer>,
    clock: Arc<dyn Clock>,
    /// The IPNs of changes made after the payment (see `with_later_notices`).
    later_notices: Option<Arc<dyn crate::ports::LaterNotices>>,
}

impl Payments {
    pub fn new(store: Arc<dyn Store>, acquirer: Arc<dyn Acquirer>, clock: Arc<dyn Clock>) -> Payments {
        Payments { store, acquirer, clock, later_notices: None }
    }

    /// Changes made after the payment (cancel, validate, refund, update, the capture batch)
    /// write what `notices` owes in their database transaction.
    pub fn with_later_notices(self, notices: Arc<dyn crate::ports::LaterNotices>) -> Payments {
        Payments { later_notices: Some(notices), ..self }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    pub async fn authorise(&self, command: Authorise) -> Result<Authorised, PaymentError> {
        let Authorise { shop_id, reference, amount, currency, capture_mode, capture_day, card, order, mode } = command;
        let new = NewTransaction {
            shop_id: shop_id.clone(),
            reference: reference.clone(),
            kind: TransactionKind::Debit,
            amount,
            currency,
            capture_mode,
            capture_day,
            order,
            source_id: None,
            first_operation: OperationName::Author,
            mode,
            token_id: None,
            subscription_id: None,
            cpay_option: None,
        };
        match self.authorise_card(new, &card).await {
            // The reference may be a 3-D Secure transaction whose authentication the merchant
            // validated (cardValidateAuthentication): this cardOrder authorises it.
            Err(PaymentError::DuplicateReference) => self
                .order_after_validation(&shop_id, &reference, &card, amount, currency)
                .await?
                .ok_or(PaymentError::DuplicateReference),
            other => other,
        }
    }

    pub async fn credit_holder(&self, command: CreditHolder) -> Result<Authorised, PaymentError> {
        let CreditHolder { shop_id, reference, amount, currency, card, order, mode } = command;
        let new = NewTransaction {
            shop_id,
            reference,
            kind: TransactionKind::Credit,
            amount,
            currency,
            capture_mode: CaptureMode::AuthorCapture,
            capture_day: 0,
            order,
            source_id: None,
            first_operation: OperationName::CreditHolder,
            mode,
            token_id: None,
            subscription_id: None,
            cpay_option: None,
        };
        self.authorise_card(new, &card).await
    }

    /// A new authorisation on the card of `from`, whatever `from`'s status (an EXPIRED one
    /// is the usual case).
    pub async fn duplicate(&self, command: Duplicate) -> Result<Authorised, PaymentError> {
        let source = self.transaction(&command.shop_id, &command.from).await?;
        // TEST and PRODUCTION are separate worlds: a test card never pays for real.
        if source.mode != command.mode {
            return Err(PaymentError::UnknownTransaction);
        }
        let summary = source.card.clone().ok_or(PaymentError::NoCard)?;
        let card = self.card_of(&command.shop_id, &summary).await?;
        let mut order = command.order;
        if order.order_channel.is_none() {
            order.order_channel = source.order.order_channel.clone();
        }
        let new = NewTransaction {
            shop_id: command.shop_id,
            reference: command.reference,
            kind: TransactionKind::Debit,
            amount: command.amount,
            currency: command.currency,
            capture_mode: command.capture_mode.unwrap_or(source.capture_mode),
            capture_day: command.capture_day.unwrap_or(source.capture_day),
            order,
            source_id: Some(source.id.clone()),
            first_operation: OperationName::Duplicate,
            mode: command.mode,
            token_id: source.token_id.clone(),
            subscription_id: None,
            cpay_option: None,
        };
        self.authorise_card(new, &card).await
    }

    pub async fn cancel(&self, command: CashOperation) -> Result<Transition, PaymentError> {
        let now = self.clock.now();
        let CashOperation { shop_id, key, amount, currency } = command;
        let change = Box::new(move |tx: &Transaction| {
            // Nothing reached the bank yet: the acquirer has nothing to refuse.
            let mut transition = transaction::cancel(tx, amount, currency, now)?;
            transition.operation.acquirer_response_code = Some("00".into());
            Ok(transition)
        });
        Ok(self.apply_later(&shop_id, &key, change).await?)
    }

    pub async fn validate(&self, command: CashOperation) -> Result<Transition, PaymentError> {
        let now = self.clock.now();
        let CashOperation { shop_id, key, amount, currency } = command;
        let authorisation_id = self.transaction(&shop_id, &key).await?.authorisation.authorisation_id;
        let change = Box::new(move |tx: &Transaction| {
            let mut transition = transaction::validate(tx, amount, currency, now)?;
            transition.operation.authorisation_id = authorisation_id;
            transition.operation.acquirer_response_code = Some("00".into());
            Ok(transition)
        });
        Ok(self.apply_later(&shop_id, &key, change).await?)
    }

    pub async fn refund(&self, command: CashOperation) -> Result<Transition, PaymentError> {
        let now = self.clock.now();
        let CashOperation { shop_id, key, amount, currency } = command;
        let current = self.transaction(&shop_id, &key).await?;
        // Checked here too so that the acquirer is not asked for a refund the rules forbid;
        // the store checks again on the locked row.
        transaction::refund(&current, amount, currency, now)?;
        let decision = match &current.card {
            Some(card) => Some(self.acquirer.refund(card, amount, currency).await),
            None => None,
        };
        if let Some(decision) = &decision
            && decision.is_unavailable()
        {
            return Err(PaymentError::AcquirerUnavailable(decision.acquirer_response_code.clone()));
        }
        let change = Box::new(move |tx: &Transaction| {
            let mut transition = transaction::refund(tx, amount, currency, now)?;
            if let Some(decision) = decision {
                transition
                    .record_acquirer_answer(&decision.acquirer_response_code, decision.authorisation_id.as_deref());
            }
            Ok(transition)
        });
        Ok(self.apply_later(&shop_id, &key, change).await?)
    }

    pub async fn transaction(&self, shop_id: &ShopId, key: &TransactionKey) -> Result<Transaction, PaymentError> {
        self.store.transaction(shop_id, key).await?.ok_or(PaymentError::UnknownTransaction)
    }

    pub async fn operations(&self, shop_id: &ShopId, key: &TransactionKey) -> Result<Vec<Operation>, PaymentError> {
        Ok(self.store.operations(shop_id, key).await?)
    }

    /// Captures what is due, credits pending credits, expires unvalidated transactions.
    pub async fn run_capture_batch(&self) -> Result<BatchReport, PaymentError> {
        let now = self.clock.now();
        let report = match &self.later_notices {
            Some(notices) => self.store.run_capture_batch_noticed(now.date_naive(), now, Arc::clone(notices)).await?,
            None => self.store.run_capture_batch(now.date_naive(), now).await?,
        };
        Ok(report)
    }

    async fn authorise_card(&self, new: NewTransaction, card: &CardInput) -> Result<Authorised, PaymentError> {
        self.authorise_with(new, card, None).await
    }

    /// Asks the acquirer, then stores the transaction with its answer. `vault_entry`: the
    /// card's existing vault entry (a token's); without one the card gets a new entry.
    async fn authorise_with(
        &self,
        new: NewTransaction,
        card: &CardInput,
        vault_entry: Option<CardSummary>,
    ) -> Result<Authorised, PaymentError> {
        let now = self.clock.now();
        let decision = self.ask_acquirer(&new, card, now).await?;
        let (summary, new_card) = match vault_entry {
            Some(summary) => (summary, None),
            None => {
                let summary = summary_of(card, &decision);
                (summary.clone(), Some(NewCard { pan: card.pan.clone(), summary }))
            }
        };
        let (transaction, operation) = new.into_transaction(&decision, summary, now);
        // transactionReference uniqueness is the store's unique index, checked in the same
        // database transaction as the insert: no extra read on the hot path, and no race
        // between two caisse instances. A duplicate's authorisation is reversed.
        let stored = match self.store.insert_transaction(transaction, operation, new_card).await {
            Ok(stored) => stored,
            Err(error) => {
                if decision.is_accepted() {
                    self.acquirer.reverse(&decision).await;
                }
                return Err(error.into());
            }
        };
        stored.assert_invariants();
        Ok(Authorised { transaction: stored, decision })
    }

    async fn ask_acquirer(
        &self,
        new: &NewTransaction,
        card: &CardInput,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<AuthorisationDecision, PaymentError> {
        self.ask_acquirer_for(card, (new.amount, new.currency, new.kind), now).await
    }

    /// The acquirer's answer for `card` and (amount, currency, kind); 90/99 are an error:
    /// nothing was decided, nothing is stored.
    async fn ask_acquirer_for(
        &self,
        card: &CardInput,
        (amount, currency, kind): (Amount, Currency, TransactionKind),
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<AuthorisationDecision, PaymentError> {
        let request = AuthorisationRequest {
            pan: &card.pan,
            expiry: card.expiry,
            csc: card.csc.as_deref(),
            brand_choice: card.brand_choice,
            amount,
            currency,
            kind,
            today: now.date_naive(),
        };
        let decision = self.acquirer.authorise(&request).await;
        if decision.is_unavailable() {
            return Err(PaymentError::AcquirerUnavailable(decision.acquirer_response_code));
        }
        Ok(decision)
    }
}

impl Payments {
    /// What the vault keeps in the clear about a card no acquirer has seen yet (a wallet's, a
    /// payment token's, one waiting for 3-D Secure): its brands come from the BIN table.
    fn summary_from_bin(&self, card: &CardInput) -> CardSummary {
        let (brand, co_brands) = self.acquirer.brand_of(&card.pan);
        CardSummary {
            card_id: transaction::new_uuid(),
            masked_pan: card.pan.masked_sips(),
            bin: card.pan.bin().to_owned(),
            last_four: card.pan.last_four().to_owned(),
            expiry: card.expiry,
            brand,
            co_brands,
        }
    }

    /// The card data of a vault entry, ready for the acquirer.
    async fn card_of(&self, shop_id: &ShopId, summary: &CardSummary) -> Result<CardInput, PaymentError> {
        let pan = self.store.reveal_pan(shop_id, &summary.card_id).await?.ok_or(PaymentError::NoCard)?;
        Ok(stored_card_input(pan, summary))
    }
}

/// A stored card as the acquirer takes it: no CVV (it is never stored), the brand it was used with.
fn stored_card_input(pan: crate::card::Pan, summary: &CardSummary) -> CardInput {
    CardInput { pan, expiry: summary.expiry, csc: None, brand_choice: Some(summary.brand) }
}

/// What the vault keeps in the clear about a card the acquirer has just seen.
fn summary_of(card: &CardInput, decision: &AuthorisationDecision) -> CardSummary {
    CardSummary {
        card_id: transaction::new_uuid(),
        masked_pan: card.pan.masked_sips(),
        bin: card.pan.bin().to_owned(),
        last_four: card.pan.last_four().to_owned(),
        expiry: card.expiry,
        brand: decision.brand,
        co_brands: decision.co_brands.clone(),
    }
}

/// Everything about a new transaction but the acquirer's answer.
struct NewTransaction {
    shop_id: ShopId,
    reference: String,
    kind: TransactionKind,
    amount: Amount,
    currency: Currency,
    capture_mode: CaptureMode,
    capture_day: u8,
    order: OrderDetails,
    source_id: Option<TransactionId>,
    first_operation: OperationName,
    mode: Mode,
    token_id: Option<String>,
    subscription_id: Option<String>,
    /// A Cpay payment: the option the buyer chose on the hosted page.
    cpay_option: Option<crate::cpay::CpayOption>,
}

/// What a transaction draws on.
enum PaidWith {
    Card(CardSummary),
    Mandate(SepaMandate),
}

impl NewTransaction {
    fn into_transaction(
        self,
        decision: &AuthorisationDecision,
        card: CardSummary,
        now: chrono::DateTime<chrono::Utc>,
    ) -> (Transaction, Operation) {
        let authorisation = AuthorisationDetails {
            acquirer_response_code: decision.acquirer_response_code.clone(),
            authorisation_id: decision.authorisation_id.clone(),
            guarantee_indicator: decision.guarantee_indicator.clone(),
            holder_authent_status: None,
            card_csc_result_code: decision.card_csc_result_code.clone(),
            network_transaction_id: decision.network_transaction_id.clone(),
        };
        self.into_paid_with(authorisation, PaidWith::Card(card), now)
    }

    /// `authorisation`: the answer of the card's issuer, or of the SEPA simulation.
    fn into_paid_with(
        self,
        authorisation: AuthorisationDetails,
        paid_with: PaidWith,
        now: chrono::DateTime<chrono::Utc>,
    ) -> (Transaction, Operation) {
        let (card, mandate) = match paid_with {
            PaidWith::Card(card) => (Some(card), None),
            PaidWith::Mandate(mandate) => (None, Some(mandate)),
        };
        let status = if authorisation.acquirer_response_code == "00" {
            transaction::status_after_authorisation(self.kind, self.capture_mode)
        } else {
            TransactionStatus::Refused
        };
        let capture_day = if self.capture_mode == CaptureMode::Immediate { 0 } else { self.capture_day };
        let id = TransactionId::new();
        let mut operation = Operation::new(id.clone(), self.first_operation, self.amount, now);
        operation.acquirer_response_code = Some(authorisation.acquirer_response_code.clone());
        operation.authorisation_id = authorisation.authorisation_id.clone();
        let transaction = Transaction {
            id,
            shop_id: self.shop_id,
            reference: self.reference,
            s10_transaction_id: 0,
            kind: self.kind,
            status,
            currency: self.currency,
            origin_amount: self.amount,
            amount: self.amount,
            refunded_amount: Amount::ZERO,
            capture_mode: self.capture_mode,
            capture_day,
            capture_date: transaction::capture_date(now, capture_day),
            created_at: now,
            last_operation: self.first_operation,
            last_operation_at: now,
            card,
            authorisation,
            order: self.order,
            source_id: self.source_id,
            mode: self.mode,
            parent_id: None,
            token_id: self.token_id,
            subscription_id: self.subscription_id,
            mandate,
            cpay_option: self.cpay_option,
        };
        transaction.assert_invariants();
        (transaction, operation)
    }
}
