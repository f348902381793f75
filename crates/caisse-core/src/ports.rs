//! What the core needs from the outside world. Implementations live in their own crates
//! (`caisse-store`, `caisse-acquirer`); tests can provide their own.

use crate::card::{CardBrand, CardExpiry, CardSummary, Pan};
use crate::money::{Amount, Currency};
use crate::operation::Operation;
use crate::payment_form::PaymentForm;
use crate::shop::{LyraCredentials, SecretKey, Shop, ShopId};
use crate::subscription::Subscription;
use crate::token::PaymentToken;
use crate::transaction::{Refusal, Transaction, TransactionKey, TransactionKind, Transition};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("already exists")]
    AlreadyExists,
    #[error("not found")]
    NotFound,
}

#[derive(Debug, thiserror::Error)]
pub enum InsertError {
    /// The shop already has a transaction with this reference.
    #[error("transactionReference already used")]
    DuplicateReference,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("unknown transaction")]
    NotFound,
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A card to put in the vault with its transaction. The store encrypts `pan` under
/// `summary.card_id`; only the summary is kept in the clear.
#[derive(Clone, Debug)]
pub struct NewCard {
    pub pan: Pan,
    pub summary: CardSummary,
}

/// A transition to run on the locked current state of a transaction.
pub type TransitionFn = Box<dyn FnOnce(&Transaction) -> Result<Transition, Refusal> + Send>;

/// A change to run on the locked current state of a token or a subscription; `Err` carries
/// the refusal back to the caller and changes nothing.
pub type ChangeFn<T, R> = Box<dyn FnOnce(&T) -> Result<T, R> + Send>;

#[derive(Debug, thiserror::Error)]
pub enum ChangeError<R> {
    #[error("not found")]
    NotFound,
    #[error("refused")]
    Refused(R),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An installment to record: the transaction it produced and the subscription as it becomes.
#[derive(Clone, Debug)]
pub struct Installment {
    pub transaction: Transaction,
    pub operation: Operation,
    /// `next_due_at` the subscription had when the installment was computed: if it changed
    /// meanwhile (another instance charged it), nothing is written.
    pub expected_due_at: DateTime<Utc>,
    pub subscription: Subscription,
}

#[derive(Debug, thiserror::Error)]
pub enum InstallmentError {
    /// Another caisse instance recorded this installment first.
    #[error("installment already recorded")]
    AlreadyRecorded,
    #[error(transparent)]
    Insert(#[from] InsertError),
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BatchReport {
    pub captured: u64,
    pub expired: u64,
    pub credited: u64,
}

/// Durable storage. Every method that changes something is one database transaction: when it
/// returns `Ok`, the change is on disk.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    async fn ping(&self) -> Result<(), StoreError>;

    async fn shop(&self, id: &ShopId) -> Result<Option<Shop>, StoreError>;
    async fn list_shops(&self) -> Result<Vec<Shop>, StoreError>;
    /// Creates a shop with its keys; `AlreadyExists` if the id is taken.
    async fn create_shop(&self, shop: &Shop) -> Result<(), StoreError>;
    /// Adds the next key version to a shop and returns it.
    async fn add_key(&self, id: &ShopId, secret: &str) -> Result<SecretKey, StoreError>;

    /// Inserts a new transaction, its first operation and its card, atomically. Fills in
    /// `s10_transaction_id` and returns the transaction as stored.
    async fn insert_transaction(
        &self,
        transaction: Transaction,
        operation: Operation,
        card: Option<NewCard>,
    ) -> Result<Transaction, InsertError>;

    /// A shop's transaction; another shop's is `None`, as if unknown.
    async fn transaction(&self, shop: &ShopId, key: &TransactionKey) -> Result<Option<Transaction>, StoreError>;

    /// The operations of a transaction, oldest first.
    async fn operations(&self, shop: &ShopId, key: &TransactionKey) -> Result<Vec<Operation>, StoreError>;

    /// Runs `transition` on the transaction locked against every other writer (other tasks and
    /// other caisse processes), then writes the result and its operation in one transaction.
    async fn apply(
        &self,
        shop: &ShopId,
        key: &TransactionKey,
        transition: TransitionFn,
    ) -> Result<Transition, ApplyError>;

    /// The clear PAN of a vault entry of this shop.
    async fn reveal_pan(&self, shop: &ShopId, card_id: &str) -> Result<Option<Pan>, StoreError>;

    /// Runs `core::transaction::settle` on every transaction it may concern, on `today`.
    async fn run_capture_batch(&self, today: NaiveDate, now: DateTime<Utc>) -> Result<BatchReport, StoreError>;

    // --- Sogecommerce (Lyra) -------------------------------------------------------------

    async fn lyra_credentials(&self, shop: &ShopId) -> Result<Option<LyraCredentials>, StoreError>;
    /// Sets (creates or replaces) a shop's REST V4 credentials; the shop must exist.
    async fn set_lyra_credentials(&self, credentials: &LyraCredentials) -> Result<(), StoreError>;

    /// A shop's transactions of one order (REST V4 `orderId`), oldest first.
    async fn transactions_by_order(&self, shop: &ShopId, order_id: &str) -> Result<Vec<Transaction>, StoreError>;

    /// Inserts a token, with the VERIFICATION transaction that created it and the card it holds
    /// (when new to the vault), atomically.
    async fn insert_token(
        &self,
        token: PaymentToken,
        verification: Option<(Transaction, Operation)>,
        card: Option<NewCard>,
    ) -> Result<PaymentToken, InsertError>;
    /// A shop's token; another shop's is `None`.
    async fn token(&self, shop: &ShopId, token_id: &str) -> Result<Option<PaymentToken>, StoreError>;
    /// A shop's token with the clear PAN of its card (`None` for a token without a card), in
    /// one read: the hot path of payments by token.
    async fn token_card(
        &self,
        shop: &ShopId,
        token_id: &str,
    ) -> Result<Option<(PaymentToken, Option<Pan>)>, StoreError>;
    async fn change_token(
        &self,
        shop: &ShopId,
        token_id: &str,
        change: ChangeFn<PaymentToken, crate::token::TokenRefusal>,
    ) -> Result<PaymentToken, ChangeError<crate::token::TokenRefusal>>;

    async fn insert_payment_form(&self, form: &PaymentForm) -> Result<(), StoreError>;
    async fn payment_form(&self, form_token: &str) -> Result<Option<PaymentForm>, StoreError>;

    async fn insert_subscription(&self, subscription: &Subscription) -> Result<(), InsertError>;
    async fn subscription(&self, shop: &ShopId, subscription_id: &str) -> Result<Option<Subscription>, StoreError>;
    async fn change_subscription(
        &self,
        shop: &ShopId,
        subscription_id: &str,
        change: ChangeFn<Subscription, crate::subscription::SubscriptionRefusal>,
    ) -> Result<Subscription, ChangeError<crate::subscription::SubscriptionRefusal>>;
    /// Active subscriptions whose next installment is due at `now`, at most `limit`.
    async fn due_subscriptions(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<Subscription>, StoreError>;
    /// Records an installment: inserts its transaction and updates its subscription in one
    /// database transaction, unless the subscription's `next_due_at` moved meanwhile.
    async fn record_installment(&self, installment: Installment) -> Result<Transaction, InstallmentError>;
}

/// An authorisation request as the acquirer sees it.
#[derive(Clone, Debug)]
pub struct AuthorisationRequest<'a> {
    pub pan: &'a Pan,
    pub expiry: CardExpiry,
    pub csc: Option<&'a str>,
    pub brand_choice: Option<CardBrand>,
    pub amount: Amount,
    pub currency: Currency,
    pub kind: TransactionKind,
    pub today: NaiveDate,
}

/// The acquirer's (and issuer's) answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorisationDecision {
    /// 2-digit code: "00" accepted, anything else refused.
    pub acquirer_response_code: String,
    pub authorisation_id: Option<String>,
    pub brand: CardBrand,
    pub co_brands: Vec<CardBrand>,
    pub guarantee_indicator: Option<String>,
    pub card_csc_result_code: Option<String>,
    /// The card network's reference of this authorisation; a token created by it hands it
    /// back as `initialIssuerTransactionIdentifier` so later payments chain to it.
    pub network_transaction_id: Option<String>,
}

impl AuthorisationDecision {
    pub fn is_accepted(&self) -> bool {
        self.acquirer_response_code == "00"
    }

    /// 90 and 99: the acquirer could not be reached; nothing was decided about the card.
    pub fn is_unavailable(&self) -> bool {
        matches!(self.acquirer_response_code.as_str(), "90" | "99")
    }
}

#[async_trait]
pub trait Acquirer: Send + Sync + 'static {
    async fn authorise(&self, request: &AuthorisationRequest<'_>) -> AuthorisationDecision;

    /// Cancels an authorisation that will not be used (its transaction could not be stored).
    async fn reverse(&self, _decision: &AuthorisationDecision) {}

    /// Asks the acquirer to return `amount` to a card it authorised before.
    async fn refund(&self, card: &CardSummary, amount: Amount, currency: Currency) -> AuthorisationDecision;

    /// The brand and co-brands a card number belongs to, from its BIN.
    fn brand_of(&self, pan: &Pan) -> (CardBrand, Vec<CardBrand>);
}
