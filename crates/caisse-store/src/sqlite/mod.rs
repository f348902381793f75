//! The embedded backend. WAL mode and `synchronous=FULL`: a write is on disk when it returns.
//! One fsync per write would cap caisse at a few hundred payments per second, so every write
//! goes through one writer thread that commits whatever is queued together (`writer`); reads
//! go to a small pool of read-only connections, which WAL lets run beside the writer (`read`).

mod checkpoint;
mod form;
mod later_notices;
mod notifications;
mod payment_sessions;
mod payment_tokens;
mod read;
mod three_ds;
mod wallets;
mod writer;

pub(crate) use form::decode as form_decode;

use crate::migrations::{self, Step};
use crate::rows::{self, guarded};
use crate::seed::{LYRA_TEST_SHOPS, SIPS_TEST_SHOPS};
use crate::vault::{Vault, VaultKey};
use async_trait::async_trait;
use caisse_core::Pan;
use caisse_core::operation::Operation;
use caisse_core::payment_form::PaymentForm;
use caisse_core::ports::{
    ApplyError, BatchReport, ChangeError, ChangeFn, InsertError, Installment, InstallmentError, NewCard, Store,
    StoreError, TransitionFn,
};
use caisse_core::shop::{LyraCredentials, SecretKey, Shop, ShopId};
use caisse_core::subscription::{Subscription, SubscriptionRefusal};
use caisse_core::token::{PaymentToken, TokenRefusal};
use caisse_core::transaction::{Transaction, TransactionKey, Transition};
use caisse_core::wallet::{NewWalletMean, Wallet, WalletPaymentMean};
use chrono::{DateTime, NaiveDate, Utc};
use read::Readers;
use rusqlite::{Connection, TransactionBehavior, params};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use writer::{Job, NewInstallment, NewToken, SealedCard, TokenRenewal, Writer};

/// How long a connection waits for a lock another process holds before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Prepared statements kept per connection: more than caisse has.
const STATEMENT_CACHE: usize = 64;
/// Transactions the capture batch settles per database transaction, so that payments keep
/// flowing while a large batch runs.
pub(crate) const BATCH_CHUNK: usize = 500;

pub struct SqliteStore {
    writer: Writer,
    readers: Arc<Readers>,
    vault: Arc<Vault>,
    _checkpointer: checkpoint::Checkpointer,
    /// For `sqlite::memory:`: the directory of the database file, removed with the store.
    _temporary: Option<tempfile::TempDir>,
}

impl SqliteStore {
    /// Opens the database file, creating and migrating it if needed.
    pub async fn open(path: &Path, vault_key: VaultKey, readers: usize) -> Result<SqliteStore, StoreError> {
        let path = path.to_owned();
        let opened_path = path.clone();
        let connection = tokio::task::spawn_blocking(move || open_writer(&opened_path))
            .await
            .map_err(|_| StoreError::Unavailable("sqlite open task failed".into()))??;
        Ok(SqliteStore {
            _checkpointer: checkpoint::Checkpointer::start(&path)?,
            writer: Writer::start(connection)?,
            readers: Readers::new(path, readers.max(1)),
            vault: Arc::new(Vault::new(&vault_key)),
            _temporary: None,
        })
    }

    /// A database that lives as long as the store (`sqlite::memory:`). It is a file in a
    /// private temporary directory, so that readers and the writer share it as with any other.
    pub async fn open_temporary(vault_key: VaultKey, readers: usize) -> Result<SqliteStore, StoreError> {
        let directory = tempfile::Builder::new()
            .prefix("caisse-memory-")
            .tempdir()
            .map_err(|error| StoreError::Unavailable(format!("temporary directory: {error}")))?;
        let mut store = SqliteStore::open(&directory.path().join("caisse.db"), vault_key, readers).await?;
        store._temporary = Some(directory);
        Ok(store)
    }
}

/// Maps a SQLite error: undecodable values are `Corrupt`, anything else `Unavailable`.
pub(crate) fn sql_error(error: rusqlite::Error) -> StoreError {
    match error {
        rusqlite::Error::FromSqlConversionFailure(..)
        | rusqlite::Error::IntegralValueOutOfRange(..)
        | rusqlite::Error::Utf8Error(..)
        | rusqlite::Error::InvalidColumnType(..) => StoreError::Corrupt(format!("sqlite value: {error}")),
        error => StoreError::Unavailable(format!("sqlite: {error}")),
    }
}

impl SqliteStore {
    /// A new vault entry's card, encrypted here on the caller's thread to keep the writer lean.
    fn seal(&self, card: NewCard) -> Result<SealedCard, StoreError> {
        let sealed = self.vault.seal_card(&card)?;
        Ok(SealedCard { card_id: card.summary.card_id, sealed })
    }

    fn seal_any(&self, card: Option<NewCard>) -> Result<Option<SealedCard>, StoreError> {
        card.map(|card| self.seal(card)).transpose()
    }
}

fn open_writer(path: &Path) -> Result<Connection, StoreError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|error| StoreError::Unavailable(format!("database directory {}: {error}", parent.display())))?;
    }
    let mut connection = Connection::open(path).map_err(sql_error)?;
    connection.busy_timeout(BUSY_TIMEOUT).map_err(sql_error)?;
    let mode: String = connection.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0)).map_err(sql_error)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Unavailable(format!("sqlite refused WAL mode (got {mode})")));
    }
    // Checkpoints are the checkpointer thread's job, never the writer's (see `checkpoint`).
    connection
        .execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA wal_autocheckpoint = 0;")
        .map_err(sql_error)?;
    connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    stable_plans(&connection)?;
    migrate(&mut connection)?;
    Ok(connection)
}

/// Keeps a cached statement's query plan whatever its bound values: without it, SQLite (built
/// with STAT4) prepares a statement again at every new binding of a parameter an index could
/// use — a sixth of a Form API payment's CPU time went there.
pub(super) fn stable_plans(connection: &Connection) -> Result<(), StoreError> {
    connection.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true).map_err(sql_error)?;
    Ok(())
}

/// Applies the pending migrations in one immediate transaction, so that two processes opening
/// the same new file do not both migrate it.
fn migrate(connection: &mut Connection) -> Result<(), StoreError> {
    migrate_with(connection, migrations::SQLITE)
}

/// [`migrate`] up to the end of `all` (tests build older schemas with a prefix of the list).
pub(crate) fn migrate_with(connection: &mut Connection, all: &[migrations::Migration]) -> Result<(), StoreError> {
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_error)?;
    transaction
        .execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                version     INTEGER PRIMARY KEY,
                name        TEXT NOT NULL,
                checksum    TEXT NOT NULL,
                applied_at  TEXT NOT NULL
            ) STRICT",
        )
        .map_err(sql_error)?;
    let applied = {
        let mut statement = transaction
            .prepare("SELECT version, checksum FROM schema_migrations ORDER BY version")
            .map_err(sql_error)?;
        let rows =
            statement.query_map([], |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))).map_err(sql_error)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(sql_error)?
    };
    let now = rows::timestamp_text(Utc::now());
    for migration in migrations::pending(all, &applied)? {
        match migration.step {
            Step::Sql(sql) => transaction.execute_batch(sql).map_err(sql_error)?,
            Step::SeedSipsTestShops => {
                for shop in SIPS_TEST_SHOPS {
                    transaction
                        .execute(
                            "INSERT INTO shops (id, name, created_at) VALUES (?1, ?2, ?3)",
                            params![shop.id, shop.name, now],
                        )
                        .map_err(sql_error)?;
                    transaction
                        .execute(
                            "INSERT INTO sips_keys (shop_id, key_version, secret, created_at)
                             VALUES (?1, ?2, ?3, ?4)",
                            params![shop.id, shop.key_version, shop.secret, now],
                        )
                        .map_err(sql_error)?;
                }
            }
            Step::SeedLyraTestShops => {
                for shop in LYRA_TEST_SHOPS {
                    transaction
                        .execute(
                            "INSERT INTO shops (id, name, created_at) VALUES (?1, ?2, ?3) \
                             ON CONFLICT (id) DO NOTHING",
                            params![shop.id, shop.name, now],
                        )
                        .map_err(sql_error)?;
                    transaction
                        .execute(
                            "INSERT INTO lyra_credentials (shop_id, test_password, production_password, \
                             test_hmac_key, production_hmac_key, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                             ON CONFLICT (shop_id) DO NOTHING",
                            params![
                                shop.id,
                                shop.test_password,
                                shop.production_password,
                                shop.test_hmac_key,
                                shop.production_hmac_key,
                                now
                            ],
                        )
                        .map_err(sql_error)?;
                }
            }
        }
        transaction
            .execute(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![migration.version, migration.name, migration.checksum(), now],
            )
            .map_err(sql_error)?;
        tracing::info!(version = migration.version, name = migration.name, "applied sqlite migration");
    }
    transaction.commit().map_err(sql_error)
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        if self.writer.is_stopped() {
            return Err(StoreError::Unavailable("sqlite writer stopped".into()));
        }
        self.readers.run(|connection| connection.query_row("SELECT 1", [], |_| Ok(())).map_err(sql_error)).await
    }

    async fn shop(&self, id: &ShopId) -> Result<Option<Shop>, StoreError> {
        let id = id.clone();
        self.readers.run(move |connection| read::shop(connection, &id)).await
    }

    async fn list_shops(&self) -> Result<Vec<Shop>, StoreError> {
        self.readers.run(read::list_shops).await
    }

    async fn create_shop(&self, shop: &Shop) -> Result<(), StoreError> {
        let shop = shop.clone();
        self.writer.submit(|reply| Job::CreateShop { shop, reply }).await
    }

    async fn add_key(&self, id: &ShopId, secret: &str) -> Result<SecretKey, StoreError> {
        let shop = id.clone();
        let secret = secret.to_owned();
        self.writer.submit(|reply| Job::AddKey { shop, secret, reply }).await
    }

    async fn insert_transaction(
        &self,
        transaction: Transaction,
        operation: Operation,
        card: Option<NewCard>,
    ) -> Result<Transaction, InsertError> {
        // Serialised and encrypted here, on the callers' threads, to keep the writer lean.
        let details = rows::details_json(&transaction)?;
        let card = self.seal_any(card)?;
        self.writer.submit(|reply| Job::Insert { transaction, operation, card, details, reply }).await
    }

    async fn transaction(&self, shop: &ShopId, key: &TransactionKey) -> Result<Option<Transaction>, StoreError> {
        let shop = shop.clone();
        let key = key.clone();
        let found = self.readers.run(move |connection| read::find_transaction(connection, &shop, &key)).await?;
        Ok(found.map(|(_, transaction)| transaction))
    }

    async fn operations(&self, shop: &ShopId, key: &TransactionKey) -> Result<Vec<Operation>, StoreError> {
        let shop = shop.clone();
        let key = key.clone();
        self.readers.run(move |connection| read::operations(connection, &shop, &key)).await
    }

    async fn apply(
        &self,
        shop: &ShopId,
        key: &TransactionKey,
        transition: TransitionFn,
    ) -> Result<Transition, ApplyError> {
        let shop = shop.clone();
        let key = key.clone();
        self.writer.submit(|reply| Job::Apply { shop, key, transition, notices: None, reply }).await
    }

    async fn apply_noticed(
        &self,
        shop: &ShopId,
        key: &TransactionKey,
        transition: TransitionFn,
        notices: Arc<dyn caisse_core::ports::LaterNotices>,
        source: caisse_core::ports::LaterSource,
    ) -> Result<Transition, ApplyError> {
        let shop = shop.clone();
        let key = key.clone();
        let notices = Some((notices, source));
        self.writer.submit(|reply| Job::Apply { shop, key, transition, notices, reply }).await
    }

    async fn reveal_pan(&self, shop: &ShopId, card_id: &str) -> Result<Option<Pan>, StoreError> {
        let shop = shop.clone();
        let card = card_id.to_owned();
        let sealed = self.readers.run(move |connection| read::sealed_card(connection, &shop, &card)).await?;
        match sealed {
            Some(card) => self.vault.open(card_id, &card.nonce, &card.ciphertext).map(Some),
            None => Ok(None),
        }
    }

    async fn run_capture_batch(&self, today: NaiveDate, now: DateTime<Utc>) -> Result<BatchReport, StoreError> {
        self.capture_batch(today, now, None).await
    }

    async fn run_capture_batch_noticed(
        &self,
        today: NaiveDate,
        now: DateTime<Utc>,
        notices: Arc<dyn caisse_core::ports::LaterNotices>,
    ) -> Result<BatchReport, StoreError> {
        self.capture_batch(today, now, Some(notices)).await
    }

    async fn lyra_credentials(&self, shop: &ShopId) -> Result<Option<LyraCredentials>, StoreError> {
        let shop = shop.clone();
        self.readers.run(move |connection| read::lyra_credentials(connection, &shop)).await
    }

    async fn set_lyra_credentials(&self, credentials: &LyraCredentials) -> Result<(), StoreError> {
        let credentials = Box::new(credentials.clone());
        self.writer.submit(|reply| Job::SetLyraCredentials { credentials, reply }).await
    }

    async fn transactions_by_order(&self, shop: &ShopId, order_id: &str) -> Result<Vec<Transaction>, StoreError> {
        let shop = shop.clone();
        let order_id = order_id.to_owned();
        self.readers.run(move |connection| read::transactions_by_order(connection, &shop, &order_id)).await
    }

    async fn insert_token(
        &self,
        token: PaymentToken,
        verification: Option<(Transaction, Operation)>,
        card: Option<NewCard>,
    ) -> Result<PaymentToken, InsertError> {
        let details = rows::token_details_json(&token)?;
        let verification = match verification {
            Some((transaction, operation)) => {
                let details = rows::details_json(&transaction)?;
                Some((transaction, operation, details))
            }
            None => None,
        };
        let card = self.seal_any(card)?;
        self.writer
            .submit(|reply| Job::InsertToken(Box::new(NewToken { token, details, verification, card, reply })))
            .await
    }

    async fn token(&self, shop: &ShopId, token_id: &str) -> Result<Option<PaymentToken>, StoreError> {
        let shop = shop.clone();
        let token_id = token_id.to_owned();
        self.readers.run(move |connection| read::token(connection, &shop, &token_id)).await
    }

    async fn token_card(
        &self,
        shop: &ShopId,
        token_id: &str,
    ) -> Result<Option<(PaymentToken, Option<Pan>)>, StoreError> {
        let shop = shop.clone();
        let token_id = token_id.to_owned();
        let found = self.readers.run_here(|connection| read::token_with_card(connection, &shop, &token_id)).await?;
        let Some((token, sealed)) = found else {
            return Ok(None);
        };
        let pan = match (token.card(), sealed) {
            (Some(card), Some(sealed)) => Some(self.vault.open(&card.card_id, &sealed.nonce, &sealed.ciphertext)?),
            _ => None,
        };
        Ok(Some((token, pan)))
    }

    async fn change_token(
        &self,
        shop: &ShopId,
        token_id: &str,
        change: ChangeFn<PaymentToken, TokenRefusal>,
    ) -> Result<PaymentToken, ChangeError<TokenRefusal>> {
        let shop = shop.clone();
        let token_id = token_id.to_owned();
        self.writer.submit(|reply| Job::ChangeToken { shop, token_id, change, reply }).await
    }

    async fn renew_token_card(
        &self,
        shop: &ShopId,
        token_id: &str,
        change: ChangeFn<PaymentToken, TokenRefusal>,
        verification: (Transaction, Operation),
        card: NewCard,
    ) -> Result<PaymentToken, ChangeError<TokenRefusal>> {
        let (transaction, operation) = verification;
        let details = rows::details_json(&transaction)?;
        let card = self.seal(card)?;
        let (shop, token_id) = (shop.clone(), token_id.to_owned());
        let verification = (transaction, operation, details);
        self.writer
            .submit(|reply| {
                Job::RenewTokenCard(Box::new(TokenRenewal { shop, token_id, change, verification, card, reply }))
            })
            .await
    }

    async fn insert_payment_form(&self, form: &PaymentForm) -> Result<(), StoreError> {
        let request = rows::form_request_json(form)?;
        let form = Box::new(form.clone());
        self.writer.submit(|reply| Job::InsertPaymentForm { form, request, reply }).await
    }

    async fn payment_form(&self, form_token: &str) -> Result<Option<PaymentForm>, StoreError> {
        let form_token = form_token.to_owned();
        self.readers.run(move |connection| read::payment_form(connection, &form_token)).await
    }

    async fn insert_subscription(&self, subscription: &Subscription) -> Result<(), InsertError> {
        let subscription = Box::new(rows::as_stored_subscription(subscription.clone()));
        let details = rows::subscription_details_json(&subscription)?;
        self.writer.submit(|reply| Job::InsertSubscription { subscription, details, reply }).await
    }

    async fn subscription(&self, shop: &ShopId, subscription_id: &str) -> Result<Option<Subscription>, StoreError> {
        let shop = shop.clone();
        let subscription_id = subscription_id.to_owned();
        self.readers.run(move |connection| read::subscription(connection, &shop, &subscription_id)).await
    }

    async fn change_subscription(
        &self,
        shop: &ShopId,
        subscription_id: &str,
        change: ChangeFn<Subscription, SubscriptionRefusal>,
    ) -> Result<Subscription, ChangeError<SubscriptionRefusal>> {
        let shop = shop.clone();
        let subscription_id = subscription_id.to_owned();
        self.writer.submit(|reply| Job::ChangeSubscription { shop, subscription_id, change, reply }).await
    }

    async fn due_subscriptions(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<Subscription>, StoreError> {
        self.readers.run(move |connection| read::due_subscriptions(connection, now, limit)).await
    }

    async fn record_installment(&self, mut installment: Installment) -> Result<Transaction, InstallmentError> {
        let transaction_details = rows::details_json(&installment.transaction).map_err(InsertError::from)?;
        installment.subscription = rows::as_stored_subscription(installment.subscription);
        let subscription_details =
            rows::subscription_details_json(&installment.subscription).map_err(InsertError::from)?;
        self.writer
            .submit(|reply| {
                Job::RecordInstallment(Box::new(NewInstallment {
                    installment,
                    transaction_details,
                    subscription_details,
                    reply,
                }))
            })
            .await
    }

    // Wallets
    async fn add_wallet_payment_mean(&self, mean: NewWalletMean) -> Result<(Wallet, WalletPaymentMean), InsertError> {
        wallets::add(self, mean).await
    }

    async fn wallet(
        &self,
        shop: &ShopId,
        merchant_wallet_id: &str,
    ) -> Result<Option<(Wallet, Vec<WalletPaymentMean>)>, StoreError> {
        wallets::wallet(self, shop, merchant_wallet_id).await
    }

    async fn wallet_payment_mean(
        &self,
        shop: &ShopId,
        merchant_wallet_id: &str,
        payment_mean_id: u32,
    ) -> Result<Option<WalletPaymentMean>, StoreError> {
        wallets::payment_mean(self, shop, merchant_wallet_id, payment_mean_id).await
    }

    async fn update_wallet_payment_mean(
        &self,
        shop: &ShopId,
        merchant_wallet_id: &str,
        payment_mean_id: u32,
        alias: Option<String>,
        at: DateTime<Utc>,
    ) -> Result<Option<WalletPaymentMean>, StoreError> {
        wallets::update_mean(self, shop, merchant_wallet_id, payment_mean_id, alias, at).await
    }

    async fn delete_wallet_payment_mean(
        &self,
        shop: &ShopId,
        merchant_wallet_id: &str,
        payment_mean_id: u32,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        wallets::delete_mean(self, shop, merchant_wallet_id, payment_mean_id, at).await
    }

    async fn delete_wallet(&self, shop: &ShopId, merchant_wallet_id: &str) -> Result<bool, StoreError> {
        wallets::delete_wallet(self, shop, merchant_wallet_id).await
    }

    // Sips payment tokens
    fn payment_token_key(&self) -> Vec<u8> {
        crate::payment_token_rows::signing_key(&self.vault)
    }

    async fn insert_card_payment_token(
        &self,
        token: &caisse_core::payment_token::CardPaymentToken,
        card: NewCard,
    ) -> Result<(), StoreError> {
        payment_tokens::insert(self, token, card).await
    }

    async fn card_payment_token(
        &self,
        token_id: &str,
    ) -> Result<Option<(caisse_core::payment_token::CardPaymentToken, Pan)>, StoreError> {
        payment_tokens::read(self, token_id).await
    }

    async fn insert_transaction_spending_token(
        &self,
        token_id: &str,
        transaction: Transaction,
        operation: Operation,
        card: NewCard,
    ) -> Result<Transaction, caisse_core::payment_token::SpendError> {
        payment_tokens::spend(self, token_id, transaction, operation, card).await
    }

    // Notifications
    async fn insert_notification(
        &self,
        notification: &caisse_core::notification::Notification,
    ) -> Result<(), StoreError> {
        notifications::insert(self, notification).await
    }

    async fn insert_transaction_with_notifications(
        &self,
        transaction: Transaction,
        operation: Operation,
        card: Option<NewCard>,
        notifications: Vec<caisse_core::notification::Notification>,
    ) -> Result<Transaction, InsertError> {
        notifications::insert_with_transaction(self, transaction, operation, card, notifications).await
    }

    async fn claim_due_notifications(
        &self,
        now: DateTime<Utc>,
        limit: usize,
        lease: chrono::Duration,
    ) -> Result<Vec<caisse_core::notification::Notification>, StoreError> {
        notifications::claim_due(self, now, limit, lease).await
    }

    async fn record_notification_attempt(
        &self,
        notification: &caisse_core::notification::Notification,
    ) -> Result<(), StoreError> {
        notifications::record(self, notification).await
    }

    async fn notification(&self, id: &str) -> Result<Option<caisse_core::notification::Notification>, StoreError> {
        notifications::one(self, id).await
    }

    async fn notifications(
        &self,
        shop: Option<&ShopId>,
        limit: usize,
    ) -> Result<Vec<caisse_core::notification::Notification>, StoreError> {
        notifications::list(self, shop, limit).await
    }

    async fn notification_rules(
        &self,
        shop: &ShopId,
    ) -> Result<Option<caisse_core::notification::NotificationRules>, StoreError> {
        notifications::rules(self, shop).await
    }

    async fn set_notification_rules(
        &self,
        rules: &caisse_core::notification::NotificationRules,
    ) -> Result<(), StoreError> {
        notifications::set_rules(self, rules).await
    }

    // Form API
    async fn form_settings(
        &self,
        shop: &ShopId,
    ) -> Result<Option<caisse_core::form_settings::FormSettings>, StoreError> {
        form::settings(self, shop).await
    }

    async fn set_form_settings(&self, settings: &caisse_core::form_settings::FormSettings) -> Result<(), StoreError> {
        form::set_settings(self, settings).await
    }

    async fn reserve_form_trans_id(
        &self,
        key: &caisse_core::form_settings::FormTransIdKey,
        at: DateTime<Utc>,
    ) -> Result<caisse_core::form_settings::Reservation, StoreError> {
        form::reserve(self, key, at).await
    }

    // Hosted payment page sessions
    async fn insert_payment_session(
        &self,
        session: &caisse_core::payment_session::PaymentSession,
    ) -> Result<(), StoreError> {
        payment_sessions::insert(self, session).await
    }

    async fn payment_session(
        &self,
        id: &str,
    ) -> Result<Option<caisse_core::payment_session::PaymentSession>, StoreError> {
        payment_sessions::one(self, id).await
    }

    async fn abandon_payment_session(
        &self,
        id: &str,
        at: DateTime<Utc>,
        notifications: Vec<caisse_core::notification::Notification>,
    ) -> Result<bool, StoreError> {
        payment_sessions::abandon(self, id, at, notifications).await
    }

    async fn expired_payment_sessions(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<caisse_core::payment_session::PaymentSession>, StoreError> {
        payment_sessions::expired(self, now, limit).await
    }

    async fn pay_payment_session(
        &self,
        session_id: &str,
        transaction: Transaction,
        operation: Operation,
        card: Option<NewCard>,
        owed: caisse_core::ports::Owed,
    ) -> Result<Transaction, caisse_core::ports::SessionPayError> {
        payment_sessions::pay(self, session_id, transaction, operation, card, owed).await
    }

    // 3-D Secure
    fn three_ds_message_key(&self) -> Vec<u8> {
        crate::three_ds_rows::message_key(&self.vault)
    }

    async fn insert_three_ds(
        &self,
        transaction: Transaction,
        operation: Operation,
        card: Option<NewCard>,
        authentication: caisse_core::three_ds::ThreeDsAuthentication,
        claim: caisse_core::ports::ThreeDsClaim,
    ) -> Result<Transaction, caisse_core::payment_token::SpendError> {
        three_ds::insert(self, transaction, operation, card, authentication, claim).await
    }

    async fn three_ds_authentication(
        &self,
        id: &str,
    ) -> Result<Option<caisse_core::three_ds::ThreeDsAuthentication>, StoreError> {
        three_ds::authentication(self, id).await
    }

    async fn three_ds_of_transaction(
        &self,
        transaction_id: &caisse_core::transaction::TransactionId,
    ) -> Result<Option<caisse_core::three_ds::ThreeDsAuthentication>, StoreError> {
        three_ds::of_transaction(self, transaction_id).await
    }

    async fn change_three_ds(
        &self,
        id: &str,
        change: ChangeFn<caisse_core::three_ds::ThreeDsAuthentication, caisse_core::three_ds::ThreeDsRefusal>,
    ) -> Result<caisse_core::three_ds::ThreeDsAuthentication, ChangeError<caisse_core::three_ds::ThreeDsRefusal>> {
        three_ds::change(self, id, change).await
    }

    async fn complete_three_ds(
        &self,
        id: &str,
        change: ChangeFn<caisse_core::three_ds::ThreeDsAuthentication, caisse_core::three_ds::ThreeDsRefusal>,
        transition: TransitionFn,
        owed: caisse_core::ports::OwedFn,
    ) -> Result<
        (caisse_core::three_ds::ThreeDsAuthentication, Transition),
        ChangeError<caisse_core::three_ds::ThreeDsRefusal>,
    > {
        three_ds::complete(self, id, change, transition, owed).await
    }
}

impl SqliteStore {
    /// The capture batch, one writer job per chunk, with the notices each settled transaction owes.
    async fn capture_batch(
        &self,
        today: NaiveDate,
        now: DateTime<Utc>,
        notices: Option<Arc<dyn caisse_core::ports::LaterNotices>>,
    ) -> Result<BatchReport, StoreError> {
        let mut total = BatchReport::default();
        loop {
            let notices = notices.clone();
            let chunk = self.writer.submit(|reply| Job::Settle { today, now, notices, reply }).await?;
            let settled = chunk.report.captured + chunk.report.expired + chunk.report.credited;
            total.captured += chunk.report.captured;
            total.expired += chunk.report.expired;
            total.credited += chunk.report.credited;
            if chunk.candidates < BATCH_CHUNK {
                return Ok(total);
            }
            // Every candidate is settled (the query and `settle` agree), so each full chunk
            // makes progress; if one did not, looping again would never end.
            if settled == 0 {
                return Err(StoreError::Corrupt("capture batch found candidates it could not settle".into()));
            }
        }
    }
}

/// Runs `work` where a panic (a broken assertion) becomes an error instead of unwinding
/// through a thread that other callers depend on.
pub(crate) fn run_guarded<T>(work: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
    guarded(work).and_then(|result| result)
}
