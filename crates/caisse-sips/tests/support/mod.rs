//! In-memory fakes of the core's ports, enough to drive `Office` end to end: a store that
//! keeps everything in one mutex, and an acquirer that answers from the card's last two
//! digits like the Sips simulation.

#![allow(dead_code)]

use async_trait::async_trait;
use caisse_core::LyraCredentials;
use caisse_core::card::{CardBrand, CardSummary, Pan};
use caisse_core::operation::Operation;
use caisse_core::payment_form::PaymentForm;
use caisse_core::ports::{
    Acquirer, ApplyError, AuthorisationDecision, AuthorisationRequest, BatchReport, ChangeError, ChangeFn, InsertError,
    Installment, InstallmentError, NewCard, Store, StoreError, TransitionFn,
};
use caisse_core::subscription::{Subscription, SubscriptionRefusal};
use caisse_core::token::{PaymentToken, TokenRefusal};
use caisse_core::transaction::{self, Transition};
use caisse_core::{Amount, Currency, SecretKey, Shop, ShopId, Transaction, TransactionKey};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

#[derive(Default)]
struct Inner {
    shops: HashMap<ShopId, Shop>,
    transactions: Vec<Transaction>,
    operations: Vec<Operation>,
    vault: HashMap<(ShopId, String), Pan>,
    s10_counters: HashMap<(ShopId, NaiveDate), u32>,
}

#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
    /// How many times `shop` was called: the key cache must not read it on every call.
    pub shop_reads: AtomicUsize,
    /// When set, every call fails as if the database were down.
    pub broken: AtomicBool,
}

impl MemoryStore {
    pub fn with_shops(shops: &[(&str, &str)]) -> MemoryStore {
        let store = MemoryStore::default();
        {
            let mut inner = store.inner.lock().unwrap();
            for (id, secret) in shops {
                let id = ShopId((*id).into());
                inner.shops.insert(
                    id.clone(),
                    Shop {
                        id,
                        name: "test shop".into(),
                        keys: vec![SecretKey { version: 1, secret: (*secret).into() }],
                    },
                );
            }
        }
        store
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Inner>, StoreError> {
        if self.broken.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable("the test broke the store".into()));
        }
        Ok(self.inner.lock().unwrap())
    }

    /// The stored transaction, for assertions on what the adapter handed the core.
    pub fn stored(&self, shop: &str, reference: &str) -> Option<Transaction> {
        let inner = self.inner.lock().unwrap();
        inner.transactions.iter().find(|tx| tx.shop_id.0 == shop && tx.reference == reference).cloned()
    }
}

fn find(transactions: &[Transaction], shop: &ShopId, key: &TransactionKey) -> Option<usize> {
    transactions.iter().position(|tx| {
        &tx.shop_id == shop
            && match key {
                TransactionKey::Reference(reference) => &tx.reference == reference,
                TransactionKey::S10 { id, date } => tx.s10_transaction_id == *id && tx.created_at.date_naive() == *date,
                TransactionKey::Id(id) => &tx.id == id,
            }
    })
}

#[async_trait]
impl Store for MemoryStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.lock().map(|_| ())
    }

    async fn shop(&self, id: &ShopId) -> Result<Option<Shop>, StoreError> {
        self.shop_reads.fetch_add(1, Ordering::SeqCst);
        Ok(self.lock()?.shops.get(id).cloned())
    }

    async fn list_shops(&self) -> Result<Vec<Shop>, StoreError> {
        Ok(self.lock()?.shops.values().cloned().collect())
    }

    async fn create_shop(&self, shop: &Shop) -> Result<(), StoreError> {
        let mut inner = self.lock()?;
        if inner.shops.contains_key(&shop.id) {
            return Err(StoreError::AlreadyExists);
        }
        inner.shops.insert(shop.id.clone(), shop.clone());
        Ok(())
    }

    async fn add_key(&self, id: &ShopId, secret: &str) -> Result<SecretKey, StoreError> {
        let mut inner = self.lock()?;
        let shop = inner.shops.get_mut(id).ok_or(StoreError::NotFound)?;
        let key = SecretKey { version: shop.latest_key().map_or(1, |key| key.version + 1), secret: secret.into() };
        shop.keys.push(key.clone());
        Ok(key)
    }

    async fn insert_transaction(
        &self,
        mut transaction: Transaction,
        operation: Operation,
        card: Option<NewCard>,
    ) -> Result<Transaction, InsertError> {
        let mut inner = self.lock()?;
        let key = TransactionKey::Reference(transaction.reference.clone());
        if find(&inner.transactions, &transaction.shop_id, &key).is_some() {
            return Err(InsertError::DuplicateReference);
        }
        let counter =
            inner.s10_counters.entry((transaction.shop_id.clone(), transaction.created_at.date_naive())).or_insert(0);
        *counter += 1;
        transaction.s10_transaction_id = *counter;
        if let Some(card) = card {
            inner.vault.insert((transaction.shop_id.clone(), card.summary.card_id.clone()), card.pan);
        }
        inner.transactions.push(transaction.clone());
        inner.operations.push(operation);
        Ok(transaction)
    }

    async fn transaction(&self, shop: &ShopId, key: &TransactionKey) -> Result<Option<Transaction>, StoreError> {
        let inner = self.lock()?;
        Ok(find(&inner.transactions, shop, key).map(|index| inner.transactions[index].clone()))
    }

    async fn operations(&self, shop: &ShopId, key: &TransactionKey) -> Result<Vec<Operation>, StoreError> {
        let inner = self.lock()?;
        let Some(index) = find(&inner.transactions, shop, key) else {
            return Ok(Vec::new());
        };
        let id = inner.transactions[index].id.clone();
        Ok(inner.operations.iter().filter(|operation| operation.transaction_id == id).cloned().collect())
    }

    async fn apply(
        &self,
        shop: &ShopId,
        key: &TransactionKey,
        transition: TransitionFn,
    ) -> Result<Transition, ApplyError> {
        let mut inner = self.lock()?;
        let index = find(&inner.transactions, shop, key).ok_or(ApplyError::NotFound)?;
        let result = transition(&inner.transactions[index])?;
        result.updated.assert_invariants();
        inner.transactions[index] = result.updated.clone();
        inner.operations.push(result.operation.clone());
        let mut result = result;
        if let Some((mut credit, operation)) = result.spawned.take() {
            let day = credit.created_at.date_naive();
            let counter = inner.s10_counters.entry((credit.shop_id.clone(), day)).or_insert(0);
            *counter += 1;
            credit.s10_transaction_id = *counter;
            inner.transactions.push(credit.clone());
            inner.operations.push(operation.clone());
            result.spawned = Some((credit, operation));
        }
        Ok(result)
    }

    async fn reveal_pan(&self, shop: &ShopId, card_id: &str) -> Result<Option<Pan>, StoreError> {
        let inner = self.lock()?;
        Ok(inner.vault.get(&(shop.clone(), card_id.to_owned())).cloned())
    }

    async fn run_capture_batch(&self, today: NaiveDate, now: DateTime<Utc>) -> Result<BatchReport, StoreError> {
        let mut inner = self.lock()?;
        let mut report = BatchReport::default();
        for index in 0..inner.transactions.len() {
            if let Some(result) = transaction::settle(&inner.transactions[index], today, now) {
                match result.operation.name {
                    caisse_core::OperationName::Capture => report.captured += 1,
                    caisse_core::OperationName::Expire => report.expired += 1,
                    _ => report.credited += 1,
                }
                inner.transactions[index] = result.updated;
                inner.operations.push(result.operation);
            }
        }
        Ok(report)
    }

    // The Sogecommerce side of the store: the Office Serveur never calls it.

    async fn lyra_credentials(&self, _shop: &ShopId) -> Result<Option<LyraCredentials>, StoreError> {
        Err(not_for_sips())
    }

    async fn set_lyra_credentials(&self, _credentials: &LyraCredentials) -> Result<(), StoreError> {
        Err(not_for_sips())
    }

    async fn transactions_by_order(&self, _shop: &ShopId, _order_id: &str) -> Result<Vec<Transaction>, StoreError> {
        Err(not_for_sips())
    }

    async fn insert_token(
        &self,
        _token: PaymentToken,
        _verification: Option<(Transaction, Operation)>,
        _card: Option<NewCard>,
    ) -> Result<PaymentToken, InsertError> {
        Err(not_for_sips().into())
    }

    async fn token(&self, _shop: &ShopId, _token_id: &str) -> Result<Option<PaymentToken>, StoreError> {
        Err(not_for_sips())
    }

    async fn token_card(
        &self,
        _shop: &ShopId,
        _token_id: &str,
    ) -> Result<Option<(PaymentToken, Option<Pan>)>, StoreError> {
        Err(not_for_sips())
    }

    async fn change_token(
        &self,
        _shop: &ShopId,
        _token_id: &str,
        _change: ChangeFn<PaymentToken, TokenRefusal>,
    ) -> Result<PaymentToken, ChangeError<TokenRefusal>> {
        Err(not_for_sips().into())
    }

    async fn renew_token_card(
        &self,
        _shop: &ShopId,
        _token_id: &str,
        _change: ChangeFn<PaymentToken, TokenRefusal>,
        _verification: (Transaction, Operation),
        _card: NewCard,
    ) -> Result<PaymentToken, ChangeError<TokenRefusal>> {
        Err(not_for_sips().into())
    }

    async fn insert_payment_form(&self, _form: &PaymentForm) -> Result<(), StoreError> {
        Err(not_for_sips())
    }

    async fn payment_form(&self, _form_token: &str) -> Result<Option<PaymentForm>, StoreError> {
        Err(not_for_sips())
    }

    async fn insert_subscription(&self, _subscription: &Subscription) -> Result<(), InsertError> {
        Err(not_for_sips().into())
    }

    async fn subscription(&self, _shop: &ShopId, _id: &str) -> Result<Option<Subscription>, StoreError> {
        Err(not_for_sips())
    }

    async fn change_subscription(
        &self,
        _shop: &ShopId,
        _id: &str,
        _change: ChangeFn<Subscription, SubscriptionRefusal>,
    ) -> Result<Subscription, ChangeError<SubscriptionRefusal>> {
        Err(not_for_sips().into())
    }

    async fn due_subscriptions(&self, _now: DateTime<Utc>, _limit: usize) -> Result<Vec<Subscription>, StoreError> {
        Err(not_for_sips())
    }

    async fn record_installment(&self, _installment: Installment) -> Result<Transaction, InstallmentError> {
        Err(InstallmentError::Insert(not_for_sips().into()))
    }

    // Wallets: driven over HTTP on both real stores (caisse-server tests/office_wallet.rs).
    async fn add_wallet_payment_mean(
        &self,
        _mean: caisse_core::wallet::NewWalletMean,
    ) -> Result<(caisse_core::wallet::Wallet, caisse_core::wallet::WalletPaymentMean), InsertError> {
        Err(not_for_sips().into())
    }

    async fn wallet(
        &self,
        _shop: &ShopId,
        _wallet: &str,
    ) -> Result<Option<(caisse_core::wallet::Wallet, Vec<caisse_core::wallet::WalletPaymentMean>)>, StoreError> {
        Err(not_for_sips())
    }

    async fn wallet_payment_mean(
        &self,
        _shop: &ShopId,
        _wallet: &str,
        _id: u32,
    ) -> Result<Option<caisse_core::wallet::WalletPaymentMean>, StoreError> {
        Err(not_for_sips())
    }

    async fn update_wallet_payment_mean(
        &self,
        _shop: &ShopId,
        _wallet: &str,
        _id: u32,
        _alias: Option<String>,
        _at: DateTime<Utc>,
    ) -> Result<Option<caisse_core::wallet::WalletPaymentMean>, StoreError> {
        Err(not_for_sips())
    }

    async fn delete_wallet_payment_mean(
        &self,
        _shop: &ShopId,
        _wallet: &str,
        _id: u32,
        _at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        Err(not_for_sips())
    }

    async fn delete_wallet(&self, _shop: &ShopId, _wallet: &str) -> Result<bool, StoreError> {
        Err(not_for_sips())
    }

    // Sips payment tokens: driven over HTTP on both real stores (caisse-server
    // tests/office_payment_token.rs).
    fn payment_token_key(&self) -> Vec<u8> {
        b"fake payment token key".to_vec()
    }

    async fn insert_card_payment_token(
        &self,
        _token: &caisse_core::payment_token::CardPaymentToken,
        _card: NewCard,
    ) -> Result<(), StoreError> {
        Err(not_for_sips())
    }

    async fn card_payment_token(
        &self,
        _token_id: &str,
    ) -> Result<Option<(caisse_core::payment_token::CardPaymentToken, Pan)>, StoreError> {
        Err(not_for_sips())
    }

    async fn insert_transaction_spending_token(
        &self,
        _token_id: &str,
        _transaction: Transaction,
        _operation: Operation,
        _card: NewCard,
    ) -> Result<Transaction, caisse_core::payment_token::SpendError> {
        Err(not_for_sips().into())
    }

    // Notifications
    async fn insert_notification(
        &self,
        _notification: &caisse_core::notification::Notification,
    ) -> Result<(), StoreError> {
        Err(not_for_sips())
    }

    async fn insert_transaction_with_notifications(
        &self,
        _transaction: Transaction,
        _operation: Operation,
        _card: Option<NewCard>,
        _notifications: Vec<caisse_core::notification::Notification>,
    ) -> Result<Transaction, InsertError> {
        Err(not_for_sips().into())
    }

    async fn claim_due_notifications(
        &self,
        _now: DateTime<Utc>,
        _limit: usize,
        _lease: chrono::Duration,
    ) -> Result<Vec<caisse_core::notification::Notification>, StoreError> {
        Err(not_for_sips())
    }

    async fn record_notification_attempt(
        &self,
        _notification: &caisse_core::notification::Notification,
    ) -> Result<(), StoreError> {
        Err(not_for_sips())
    }

    async fn notification(&self, _id: &str) -> Result<Option<caisse_core::notification::Notification>, StoreError> {
        Err(not_for_sips())
    }

    async fn notifications(
        &self,
        _shop: Option<&ShopId>,
        _limit: usize,
    ) -> Result<Vec<caisse_core::notification::Notification>, StoreError> {
        Err(not_for_sips())
    }

    async fn notification_rules(
        &self,
        _shop: &ShopId,
    ) -> Result<Option<caisse_core::notification::NotificationRules>, StoreError> {
        Err(not_for_sips())
    }

    async fn set_notification_rules(
        &self,
        _rules: &caisse_core::notification::NotificationRules,
    ) -> Result<(), StoreError> {
        Err(not_for_sips())
    }

    // Form API
    async fn form_settings(
        &self,
        _shop: &ShopId,
    ) -> Result<Option<caisse_core::form_settings::FormSettings>, StoreError> {
        Err(not_for_sips())
    }

    async fn set_form_settings(&self, _settings: &caisse_core::form_settings::FormSettings) -> Result<(), StoreError> {
        Err(not_for_sips())
    }

    async fn reserve_form_trans_id(
        &self,
        _key: &caisse_core::form_settings::FormTransIdKey,
        _at: chrono::DateTime<chrono::Utc>,
    ) -> Result<caisse_core::form_settings::Reservation, StoreError> {
        Err(not_for_sips())
    }

    // Hosted payment page sessions: a Form API feature.
    async fn insert_payment_session(
        &self,
        _session: &caisse_core::payment_session::PaymentSession,
    ) -> Result<(), StoreError> {
        Err(not_for_sips())
    }

    async fn payment_session(
        &self,
        _id: &str,
    ) -> Result<Option<caisse_core::payment_session::PaymentSession>, StoreError> {
        Err(not_for_sips())
    }

    async fn abandon_payment_session(
        &self,
        _id: &str,
        _at: DateTime<Utc>,
        _notifications: Vec<caisse_core::notification::Notification>,
    ) -> Result<bool, StoreError> {
        Err(not_for_sips())
    }

    async fn expired_payment_sessions(
        &self,
        _now: DateTime<Utc>,
        _limit: usize,
    ) -> Result<Vec<caisse_core::payment_session::PaymentSession>, StoreError> {
        Err(not_for_sips())
    }

    async fn pay_payment_session(
        &self,
        _session_id: &str,
        _transaction: Transaction,
        _operation: Operation,
        _card: Option<NewCard>,
        _owed: caisse_core::ports::Owed,
    ) -> Result<Transaction, caisse_core::ports::SessionPayError> {
        Err(caisse_core::ports::SessionPayError::Insert(not_for_sips().into()))
    }

    // 3-D Secure: driven end to end by caisse-server's office_3ds tests on the real stores.
    fn three_ds_message_key(&self) -> Vec<u8> {
        b"fake 3-D Secure key".to_vec()
    }

    async fn insert_three_ds(
        &self,
        _transaction: Transaction,
        _operation: Operation,
        _card: Option<NewCard>,
        _authentication: caisse_core::three_ds::ThreeDsAuthentication,
        _claim: caisse_core::ports::ThreeDsClaim,
    ) -> Result<Transaction, caisse_core::payment_token::SpendError> {
        Err(not_for_sips().into())
    }

    async fn three_ds_authentication(
        &self,
        _id: &str,
    ) -> Result<Option<caisse_core::three_ds::ThreeDsAuthentication>, StoreError> {
        Err(not_for_sips())
    }

    async fn three_ds_of_transaction(
        &self,
        _transaction_id: &caisse_core::transaction::TransactionId,
    ) -> Result<Option<caisse_core::three_ds::ThreeDsAuthentication>, StoreError> {
        Ok(None)
    }

    async fn change_three_ds(
        &self,
        _id: &str,
        _change: ChangeFn<caisse_core::three_ds::ThreeDsAuthentication, caisse_core::three_ds::ThreeDsRefusal>,
    ) -> Result<caisse_core::three_ds::ThreeDsAuthentication, ChangeError<caisse_core::three_ds::ThreeDsRefusal>> {
        Err(not_for_sips().into())
    }

    async fn complete_three_ds(
        &self,
        _id: &str,
        _change: ChangeFn<caisse_core::three_ds::ThreeDsAuthentication, caisse_core::three_ds::ThreeDsRefusal>,
        _transition: TransitionFn,
        _notifications: caisse_core::ports::OwedFn,
    ) -> Result<
        (caisse_core::three_ds::ThreeDsAuthentication, Transition),
        ChangeError<caisse_core::three_ds::ThreeDsRefusal>,
    > {
        Err(not_for_sips().into())
    }
}

fn not_for_sips() -> StoreError {
    StoreError::Unavailable("not part of the Office Serveur fake".into())
}

/// The Sips simulation, reduced: the last two digits pick the answer among a few codes (any
/// other ending is accepted), the BIN picks the brand. `13` stands for an acquirer code that
/// is not in the responseCode dictionary.
#[derive(Default)]
pub struct SimulatedAcquirer;

const REFUSAL_CODES: [&str; 7] = ["05", "13", "14", "51", "54", "90", "99"];

#[async_trait]
impl Acquirer for SimulatedAcquirer {
    async fn authorise(&self, request: &AuthorisationRequest<'_>) -> AuthorisationDecision {
        let (brand, co_brands) = self.brand_of(request.pan);
        let ending = request.pan.last_two();
        let code = if REFUSAL_CODES.contains(&ending) { ending } else { "00" };
        let accepted = code == "00";
        AuthorisationDecision {
            acquirer_response_code: code.into(),
            authorisation_id: accepted.then(|| "123456".into()),
            brand: request.brand_choice.unwrap_or(brand),
            co_brands,
            guarantee_indicator: accepted.then(|| "Y".into()),
            card_csc_result_code: request.csc.map(|_| "4D".into()),
            network_transaction_id: None,
        }
    }

    async fn refund(&self, card: &CardSummary, _amount: Amount, _currency: Currency) -> AuthorisationDecision {
        AuthorisationDecision {
            acquirer_response_code: "00".into(),
            authorisation_id: Some("654321".into()),
            brand: card.brand,
            co_brands: card.co_brands.clone(),
            guarantee_indicator: None,
            card_csc_result_code: None,
            network_transaction_id: None,
        }
    }

    fn brand_of(&self, pan: &Pan) -> (CardBrand, Vec<CardBrand>) {
        match pan.bin() {
            "420000" => (CardBrand::Cb, vec![]),
            "430000" => (CardBrand::Cb, vec![CardBrand::Visa]),
            bin if bin.starts_with('4') => (CardBrand::Visa, vec![]),
            bin if bin.starts_with('5') => (CardBrand::Mastercard, vec![]),
            _ => (CardBrand::Amex, vec![]),
        }
    }
}
