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

/// What a change owes besides itself, made from the transaction as changed and written in the
/// change's own database transaction: the shop's notifications, and the token a payment
/// registers (the Form API's `REGISTER_PAY`).
#[derive(Debug, Default)]
pub struct Owed {
    pub notifications: Vec<crate::notification::Notification>,
    pub token: Option<crate::token::PaymentToken>,
}

impl Owed {
    pub fn notifications(notifications: Vec<crate::notification::Notification>) -> Owed {
        Owed { notifications, token: None }
    }
}

pub type OwedFn = Box<dyn FnOnce(&Transaction) -> Owed + Send>;

/// A change that owes nothing more.
pub fn nothing_owed() -> OwedFn {
    Box::new(|_| Owed::default())
}

/// Where a change made after the payment came from (`vads_url_check_src` of its IPN).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LaterSource {
    /// The merchant's web services or tools: REST V4, the Office Serveur, the CLI.
    Merchant,
    /// The capture batch.
    Batch,
}

/// What the notices of a later change are made from, read by the store in the change's own
/// database transaction, so that they describe the shop as it is when the change commits.
#[derive(Clone, Debug)]
pub struct NoticeContext {
    pub rules: crate::notification::NotificationRules,
    pub settings: crate::form_settings::FormSettings,
    /// The hosted-page session that paid the transaction (its `request` is the adapter's).
    pub session: crate::payment_session::PaymentSession,
}

/// The notifications a change made after the payment owes the shop. The store calls it in the
/// change's database transaction for each changed transaction a hosted-page session paid, and
/// writes what it returns with the change; it must not block.
pub trait LaterNotices: Send + Sync + 'static {
    fn notices(
        &self,
        transaction: &Transaction,
        context: &NoticeContext,
        source: LaterSource,
    ) -> Vec<crate::notification::Notification>;
}

/// What a transaction entering 3-D Secure uses up, in the database transaction that inserts it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ThreeDsClaim {
    Nothing,
    /// A Sips payment token (`SpendError::Used` if another payment spent it first).
    PaymentToken(String),
    /// A hosted-page session, which must still be open and is marked paid by the transaction
    /// (`SpendError::SessionNotOpen` otherwise).
    PaymentSession(String),
}

#[derive(Debug, thiserror::Error)]
pub enum ChangeError<R> {
    #[error("not found")]
    NotFound,
    #[error("refused")]
    Refused(R),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl<R> From<InsertError> for ChangeError<R> {
    fn from(error: InsertError) -> Self {
        match error {
            InsertError::DuplicateReference => ChangeError::Store(StoreError::AlreadyExists),
            InsertError::Store(error) => ChangeError::Store(error),
        }
    }
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

    /// As `apply`, with what `notices` owes for the change written in its database
    /// transaction, when a hosted-page session paid the transaction: the notices describe the
    /// refund's credit when the change spawns one, else the changed transaction. A store that
    /// keeps no sessions owes none.
    async fn apply_noticed(
        &self,
        shop: &ShopId,
        key: &TransactionKey,
        transition: TransitionFn,
        notices: std::sync::Arc<dyn LaterNotices>,
        source: LaterSource,
    ) -> Result<Transition, ApplyError> {
        let _ = (notices, source);
        self.apply(shop, key, transition).await
    }

    /// The clear PAN of a vault entry of this shop.
    async fn reveal_pan(&self, shop: &ShopId, card_id: &str) -> Result<Option<Pan>, StoreError>;

    /// Runs `core::transaction::settle` on every transaction it may concern, on `today`.
    async fn run_capture_batch(&self, today: NaiveDate, now: DateTime<Utc>) -> Result<BatchReport, StoreError>;

    /// As `run_capture_batch`, each settled transaction's notices (see `apply_noticed`)
    /// written in the database transaction that settles it.
    async fn run_capture_batch_noticed(
        &self,
        today: NaiveDate,
        now: DateTime<Utc>,
        notices: std::sync::Arc<dyn LaterNotices>,
    ) -> Result<BatchReport, StoreError> {
        let _ = notices;
        self.run_capture_batch(today, now).await
    }

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
    /// Gives a token a new card (Token/Update with card data): runs `change` on the locked
    /// token and stores the new card's VERIFICATION and vault entry, atomically.
    async fn renew_token_card(
        &self,
        shop: &ShopId,
        token_id: &str,
        change: ChangeFn<PaymentToken, crate::token::TokenRefusal>,
        verification: (Transaction, Operation),
        card: NewCard,
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

    // Wallets
    /// Adds a payment mean to a shop's wallet, creating the wallet when it has none, with the
    /// card's vault entry, in one database transaction. The store gives the mean the wallet's
    /// next rank; `DuplicateReference` if the wallet already holds this card or account.
    async fn add_wallet_payment_mean(
        &self,
        mean: crate::wallet::NewWalletMean,
    ) -> Result<(crate::wallet::Wallet, crate::wallet::WalletPaymentMean), InsertError>;
    /// A shop's wallet and its means by rank; another shop's is `None`.
    async fn wallet(
        &self,
        shop: &ShopId,
        merchant_wallet_id: &str,
    ) -> Result<Option<(crate::wallet::Wallet, Vec<crate::wallet::WalletPaymentMean>)>, StoreError>;
    async fn wallet_payment_mean(
        &self,
        shop: &ShopId,
        merchant_wallet_id: &str,
        payment_mean_id: u32,
    ) -> Result<Option<crate::wallet::WalletPaymentMean>, StoreError>;
    /// Sets a mean's alias and the wallet's last action; `None` if either is unknown.
    async fn update_wallet_payment_mean(
        &self,
        shop: &ShopId,
        merchant_wallet_id: &str,
        payment_mean_id: u32,
        alias: Option<String>,
        at: DateTime<Utc>,
    ) -> Result<Option<crate::wallet::WalletPaymentMean>, StoreError>;
    /// Removes a mean from its wallet (its rank is not given again); `false` if unknown.
    async fn delete_wallet_payment_mean(
        &self,
        shop: &ShopId,
        merchant_wallet_id: &str,
        payment_mean_id: u32,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Removes a wallet and all its means; `false` if unknown.
    async fn delete_wallet(&self, shop: &ShopId, merchant_wallet_id: &str) -> Result<bool, StoreError>;

    // Sips payment tokens
    /// The key payment tokens and hosted-fields sessions are signed with: derived from the
    /// vault key, so never in the database, and the same on every instance sharing the vault.
    fn payment_token_key(&self) -> Vec<u8>;
    /// Stores a payment token with its card's vault entry (the generating shop's), atomically.
    async fn insert_card_payment_token(
        &self,
        token: &crate::payment_token::CardPaymentToken,
        card: NewCard,
    ) -> Result<(), StoreError>;
    /// A payment token with the clear PAN of its card, in one read.
    async fn card_payment_token(
        &self,
        token_id: &str,
    ) -> Result<Option<(crate::payment_token::CardPaymentToken, Pan)>, StoreError>;
    /// Records a payment by payment token: marks the token spent, unless it already is
    /// (`Used`), and inserts the transaction, its operation and its card (a vault entry of
    /// the paying shop), in one database transaction.
    async fn insert_transaction_spending_token(
        &self,
        token_id: &str,
        transaction: Transaction,
        operation: Operation,
        card: NewCard,
    ) -> Result<Transaction, crate::payment_token::SpendError>;

    // 3-D Secure
    /// The platform's key for PaReq, PaRes and redirectionData: derived from the vault key
    /// (never a merchant's key), so that only this platform's messages verify.
    fn three_ds_message_key(&self) -> Vec<u8>;
    /// Inserts a transaction waiting for 3-D Secure, its first operation, its card (when new
    /// to the vault; a wallet's card has its entry) and its authentication, atomically, with
    /// what it claims (a Sips payment token, a hosted-page session).
    async fn insert_three_ds(
        &self,
        transaction: Transaction,
        operation: Operation,
        card: Option<NewCard>,
        authentication: crate::three_ds::ThreeDsAuthentication,
        claim: ThreeDsClaim,
    ) -> Result<Transaction, crate::payment_token::SpendError>;
    async fn three_ds_authentication(
        &self,
        id: &str,
    ) -> Result<Option<crate::three_ds::ThreeDsAuthentication>, StoreError>;
    /// The authentication of a transaction, if it has one.
    async fn three_ds_of_transaction(
        &self,
        transaction_id: &crate::transaction::TransactionId,
    ) -> Result<Option<crate::three_ds::ThreeDsAuthentication>, StoreError>;
    /// Runs `change` on the locked authentication (the ACS's decision, a PaRes spent alone).
    async fn change_three_ds(
        &self,
        id: &str,
        change: ChangeFn<crate::three_ds::ThreeDsAuthentication, crate::three_ds::ThreeDsRefusal>,
    ) -> Result<crate::three_ds::ThreeDsAuthentication, ChangeError<crate::three_ds::ThreeDsRefusal>>;
    /// Runs `change` on the locked authentication, then `transition` on its locked
    /// transaction, in one database transaction with what it owes (notifications, a token):
    /// the PaRes is spent only if the transaction moves. A refused transition is
    /// `Refused(ThreeDsRefusal::Transaction(_))`.
    async fn complete_three_ds(
        &self,
        id: &str,
        change: ChangeFn<crate::three_ds::ThreeDsAuthentication, crate::three_ds::ThreeDsRefusal>,
        transition: TransitionFn,
        owed: OwedFn,
    ) -> Result<(crate::three_ds::ThreeDsAuthentication, Transition), ChangeError<crate::three_ds::ThreeDsRefusal>>;

    // Notifications
    /// Puts a notification in the outbox.
    async fn insert_notification(&self, notification: &crate::notification::Notification) -> Result<(), StoreError>;
    /// Inserts a transaction, its first operation, its card and its notifications in one
    /// database transaction: a payment and the IPNs it owes are written together or not at all.
    async fn insert_transaction_with_notifications(
        &self,
        transaction: Transaction,
        operation: Operation,
        card: Option<NewCard>,
        notifications: Vec<crate::notification::Notification>,
    ) -> Result<Transaction, InsertError>;
    /// Takes up to `limit` notifications due at `now`, oldest due first, and leases them for
    /// `lease`: no other caller (task or caisse process) gets them until the lease ends or
    /// their attempt is recorded, so a sender that dies loses its claim, not the notification.
    async fn claim_due_notifications(
        &self,
        now: DateTime<Utc>,
        limit: usize,
        lease: chrono::Duration,
    ) -> Result<Vec<crate::notification::Notification>, StoreError>;
    /// Writes a notification's new state (an attempt's outcome, a resend) and ends its lease.
    async fn record_notification_attempt(
        &self,
        notification: &crate::notification::Notification,
    ) -> Result<(), StoreError>;
    async fn notification(&self, id: &str) -> Result<Option<crate::notification::Notification>, StoreError>;
    /// Notifications, newest first, of one shop or of all, at most `limit`.
    async fn notifications(
        &self,
        shop: Option<&ShopId>,
        limit: usize,
    ) -> Result<Vec<crate::notification::Notification>, StoreError>;
    /// A shop's rules (every rule off when never set); `None` for an unknown shop.
    async fn notification_rules(
        &self,
        shop: &ShopId,
    ) -> Result<Option<crate::notification::NotificationRules>, StoreError>;
    /// Sets (creates or replaces) a shop's rules; `NotFound` for an unknown shop.
    async fn set_notification_rules(&self, rules: &crate::notification::NotificationRules) -> Result<(), StoreError>;

    // Form API
    /// A shop's form settings (no key and HMAC-SHA-256 when never set); `None` for an unknown
    /// shop.
    async fn form_settings(&self, shop: &ShopId) -> Result<Option<crate::form_settings::FormSettings>, StoreError>;
    /// Sets (creates or replaces) a shop's form settings; `NotFound` for an unknown shop.
    async fn set_form_settings(&self, settings: &crate::form_settings::FormSettings) -> Result<(), StoreError>;
    /// Reserves a form's `vads_trans_id` under its key, atomically: of concurrent reservations
    /// of one key (by any process), exactly one is `Reserved`.
    async fn reserve_form_trans_id(
        &self,
        key: &crate::form_settings::FormTransIdKey,
        at: DateTime<Utc>,
    ) -> Result<crate::form_settings::Reservation, StoreError>;

    // Hosted payment page sessions
    async fn insert_payment_session(&self, session: &crate::payment_session::PaymentSession) -> Result<(), StoreError>;
    async fn payment_session(&self, id: &str) -> Result<Option<crate::payment_session::PaymentSession>, StoreError>;
    /// Marks an open session abandoned at `at` with the notifications it owes, in one
    /// database transaction; `false`, and nothing written, if it was not open (or unknown).
    async fn abandon_payment_session(
        &self,
        id: &str,
        at: DateTime<Utc>,
        notifications: Vec<crate::notification::Notification>,
    ) -> Result<bool, StoreError>;
    /// Unfinished sessions past their expiry at `now` (open, or paid by a transaction still
    /// waiting for 3-D Secure), the longest expired first, at most `limit`.
    async fn expired_payment_sessions(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<crate::payment_session::PaymentSession>, StoreError>;
    /// Inserts a transaction, its operation, its card and what it owes (notifications, the
    /// token it registers) and marks the session paid by it, in one database transaction, only
    /// if the session is still open: of two payments of one session (by any process), at most
    /// one is written.
    async fn pay_payment_session(
        &self,
        session_id: &str,
        transaction: Transaction,
        operation: Operation,
        card: Option<NewCard>,
        owed: Owed,
    ) -> Result<Transaction, SessionPayError>;
}

/// Why a hosted page session could not be paid.
#[derive(Debug, thiserror::Error)]
pub enum SessionPayError {
    /// The session is unknown, already paid or abandoned: nothing was written.
    #[error("payment session not open")]
    NotOpen,
    #[error(transparent)]
    Insert(#[from] InsertError),
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

    // 3-D Secure
    /// The card's 3-D Secure enrolment (the directory server's answer). An acquirer that
    /// knows no directory server: not enrolled, the payment goes on without authentication.
    fn three_ds_enrolment(&self, _pan: &Pan) -> crate::three_ds::Enrolment {
        crate::three_ds::Enrolment::NotEnrolled
    }
}
