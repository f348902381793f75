//! The PostgreSQL backend: a pool of connections, PostgreSQL's own group commit across them,
//! and row locks (`SELECT … FOR UPDATE`) so that several caisse processes can share one
//! database: two of them never refund the same money twice, and their capture batches skip
//! each other's rows (`SKIP LOCKED`).

mod form;
mod later_notices;
pub(crate) mod migrate;
mod notifications;
mod payment_sessions;
mod payment_tokens;
mod sql;
mod three_ds;
mod wallets;

use crate::OpenOptions;
use crate::rows::{self, guarded};
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
use caisse_core::subscription::{Subscription, SubscriptionRefusal, SubscriptionStatus};
use caisse_core::token::{PaymentToken, TokenRefusal};
use caisse_core::transaction::{self, Transaction, TransactionKey, TransactionStatus, Transition};
use caisse_core::wallet::{NewWalletMean, Wallet, WalletPaymentMean};
use chrono::{DateTime, NaiveDate, Utc};
use deadpool_postgres::GenericClient;
use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime};
use std::sync::Arc;
use std::time::Duration;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Config, NoTls};

/// How long a caller waits for a free pooled connection.
const POOL_WAIT: Duration = Duration::from_secs(30);
/// How long opening one connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Transactions the capture batch settles per database transaction.
const BATCH_CHUNK: usize = 500;

pub struct PostgresStore {
    pool: Pool,
    vault: Arc<Vault>,
}

impl PostgresStore {
    /// Connects, creates the schema (explicit option, else the URL's `search_path`) if it is
    /// missing, migrates, and keeps a pool of `options.postgres_connections` connections.
    pub async fn open(
        database_url: &str,
        vault_key: VaultKey,
        options: &OpenOptions,
    ) -> Result<PostgresStore, StoreError> {
        let mut config: Config =
            database_url.parse().map_err(|error| StoreError::Unavailable(format!("postgres URL: {error}")))?;
        let schema = match &options.schema {
            Some(schema) => Some(schema.clone()),
            None => config.get_options().and_then(migrate::schema_of_options),
        };
        if let Some(schema) = &schema {
            migrate::check_schema_name(schema)?;
            migrate::use_schema(&mut config, schema);
        }
        if config.get_application_name().is_none() {
            config.application_name("caisse");
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        migrate::migrate(&config, schema.as_deref()).await?;
        let manager = Manager::from_config(config, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager)
            .max_size(options.postgres_connections.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .recycle_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|error| StoreError::Unavailable(format!("postgres pool: {error}")))?;
        Ok(PostgresStore { pool, vault: Arc::new(Vault::new(&vault_key)) })
    }

    async fn client(&self) -> Result<deadpool_postgres::Client, StoreError> {
        self.pool.get().await.map_err(|error| match error {
            PoolError::Backend(error) => pg_error(error),
            error => StoreError::Unavailable(format!("postgres pool: {error}")),
        })
    }
}

/// Maps a PostgreSQL error to `Unavailable`, with the server's message and code only (never
/// a row's values).
/// What a change owes, in its database transaction: the token it registers (a clash on its id
/// is `DuplicateReference`) and its notifications.
pub(super) async fn write_owed(
    client: &impl deadpool_postgres::GenericClient,
    owed: caisse_core::ports::Owed,
) -> Result<(), InsertError> {
    if let Some(token) = owed.token {
        sql::insert_token(client, &rows::as_stored_token(token)).await?;
    }
    for notification in &owed.notifications {
        notifications::insert_row(client, notification).await?;
    }
    Ok(())
}

pub(crate) fn pg_error(error: tokio_postgres::Error) -> StoreError {
    match error.as_db_error() {
        Some(db) => StoreError::Unavailable(format!("postgres: {} ({})", db.message(), db.code().code())),
        None => StoreError::Unavailable(format!("postgres: {error}")),
    }
}

/// A failed write: a unique key clash is `AlreadyExists`, a missing parent row (unknown shop)
/// `NotFound`.
fn write_error(error: tokio_postgres::Error) -> StoreError {
    match error.code() {
        Some(code) if *code == SqlState::UNIQUE_VIOLATION => StoreError::AlreadyExists,
        Some(code) if *code == SqlState::FOREIGN_KEY_VIOLATION => StoreError::NotFound,
        _ => pg_error(error),
    }
}

#[async_trait]
impl Store for PostgresStore {
    async fn ping(&self) -> Result<(), StoreError> {
        let client = self.client().await?;
        client.simple_query("SELECT 1").await.map_err(pg_error)?;
        Ok(())
    }

    async fn shop(&self, id: &ShopId) -> Result<Option<Shop>, StoreError> {
        let client = self.client().await?;
        sql::shop(&client, id).await
    }

    async fn list_shops(&self) -> Result<Vec<Shop>, StoreError> {
        let client = self.client().await?;
        sql::list_shops(&client).await
    }

    async fn create_shop(&self, shop: &Shop) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let transaction = client.transaction().await.map_err(pg_error)?;
        let statement =
            transaction.prepare_cached("INSERT INTO shops (id, name) VALUES ($1, $2)").await.map_err(pg_error)?;
        transaction.execute(&statement, &[&shop.id.as_str(), &shop.name]).await.map_err(write_error)?;
        for key in &shop.keys {
            sql::insert_key(&transaction, &shop.id, key).await?;
        }
        transaction.commit().await.map_err(pg_error)
    }

    async fn add_key(&self, id: &ShopId, secret: &str) -> Result<SecretKey, StoreError> {
        let mut client = self.client().await?;
        let transaction = client.transaction().await.map_err(pg_error)?;
        // The shop's row lock serialises key additions across processes. The latest version
        // is read by a second statement: its snapshot is taken after the lock is granted,
        // so it sees the version the previous holder added.
        let lock =
            transaction.prepare_cached("SELECT 1 FROM shops WHERE id = $1 FOR UPDATE").await.map_err(pg_error)?;
        transaction.query_opt(&lock, &[&id.as_str()]).await.map_err(pg_error)?.ok_or(StoreError::NotFound)?;
        let latest = transaction
            .prepare_cached("SELECT COALESCE(MAX(key_version), 0) FROM sips_keys WHERE shop_id = $1")
            .await
            .map_err(pg_error)?;
        let row = transaction.query_one(&latest, &[&id.as_str()]).await.map_err(pg_error)?;
        let latest: i32 = sql::get(&row, 0)?;
        let key = rows::secret_key(i64::from(latest) + 1, secret)?;
        sql::insert_key(&transaction, id, &key).await?;
        transaction.commit().await.map_err(pg_error)?;
        Ok(key)
    }

    async fn insert_transaction(
        &self,
        transaction: Transaction,
        operation: Operation,
        card: Option<NewCard>,
    ) -> Result<Transaction, InsertError> {
        let details = rows::details_json(&transaction)?;
        let (mut transaction, operation) = rows::checked_new(transaction, operation)?;
        let sealed = card.as_ref().map(|card| self.vault.seal_card(card)).transpose()?;
        let client = self.client().await?;
        let card = card.as_ref().zip(sealed.as_ref());
        let s10 = sql::insert_transaction(&client, &transaction, &operation, &details, card).await?;
        transaction.s10_transaction_id =
            u32::try_from(s10).map_err(|_| StoreError::Corrupt(format!("s10_transaction_id {s10}")))?;
        Ok(transaction)
    }

    async fn transaction(&self, shop: &ShopId, key: &TransactionKey) -> Result<Option<Transaction>, StoreError> {
        let client = self.client().await?;
        let rows = sql::query_by_key(&client, &sql::TRANSACTION_BY, shop, key).await?;
        match rows.first() {
            Some(row) => Ok(Some(sql::transaction_from_row(row)?.1)),
            None => Ok(None),
        }
    }

    async fn operations(&self, shop: &ShopId, key: &TransactionKey) -> Result<Vec<Operation>, StoreError> {
        let client = self.client().await?;
        let rows = sql::query_by_key(&client, &sql::OPERATIONS_BY, shop, key).await?;
        rows.iter().map(sql::operation_from_row).collect()
    }

    async fn apply(
        &self,
        shop: &ShopId,
        key: &TransactionKey,
        transition: TransitionFn,
    ) -> Result<Transition, ApplyError> {
        self.apply_in(shop, key, transition, None).await
    }

    async fn apply_noticed(
        &self,
        shop: &ShopId,
        key: &TransactionKey,
        transition: TransitionFn,
        notices: Arc<dyn caisse_core::ports::LaterNotices>,
        source: caisse_core::ports::LaterSource,
    ) -> Result<Transition, ApplyError> {
        self.apply_in(shop, key, transition, Some((notices.as_ref(), source))).await
    }

    async fn reveal_pan(&self, shop: &ShopId, card_id: &str) -> Result<Option<Pan>, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached("SELECT nonce, ciphertext FROM cards WHERE card_id = $1 AND shop_id = $2")
            .await
            .map_err(pg_error)?;
        let row = client.query_opt(&statement, &[&card_id, &shop.as_str()]).await.map_err(pg_error)?;
        match row {
            Some(row) => {
                let nonce: &[u8] = sql::get(&row, 0)?;
                let ciphertext: &[u8] = sql::get(&row, 1)?;
                self.vault.open(card_id, nonce, ciphertext).map(Some)
            }
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
        self.capture_batch(today, now, Some(notices.as_ref())).await
    }

    async fn lyra_credentials(&self, shop: &ShopId) -> Result<Option<LyraCredentials>, StoreError> {
        let client = self.client().await?;
        sql::lyra_credentials(&client, shop).await
    }

    async fn set_lyra_credentials(&self, credentials: &LyraCredentials) -> Result<(), StoreError> {
        let client = self.client().await?;
        sql::set_lyra_credentials(&client, credentials).await
    }

    async fn transactions_by_order(&self, shop: &ShopId, order_id: &str) -> Result<Vec<Transaction>, StoreError> {
        let client = self.client().await?;
        sql::transactions_by_order(&client, shop, order_id).await
    }

    async fn insert_token(
        &self,
        token: PaymentToken,
        verification: Option<(Transaction, Operation)>,
        card: Option<NewCard>,
    ) -> Result<PaymentToken, InsertError> {
        let token = rows::as_stored_token(token);
        if let Some((transaction, _)) = &verification {
            rows::check_same_shop("a token's verification", &token.shop_id, &transaction.shop_id)?;
        }
        let sealed = card.as_ref().map(|card| self.vault.seal_card(card)).transpose()?;
        let mut client = self.client().await?;
        let writing = client.transaction().await.map_err(pg_error)?;
        // The token first: a clash on its id is the duplicate the caller is told about.
        sql::insert_token(&writing, &token).await?;
        if let Some((card, sealed)) = card.as_ref().zip(sealed.as_ref()) {
            sql::insert_card(&writing, &token.shop_id, card, sealed, &token.created_at).await?;
        }
        if let Some((transaction, operation)) = verification {
            insert_new(&writing, transaction, operation).await?;
        }
        writing.commit().await.map_err(pg_error)?;
        Ok(token)
    }

    async fn token(&self, shop: &ShopId, token_id: &str) -> Result<Option<PaymentToken>, StoreError> {
        let client = self.client().await?;
        let statement = client.prepare_cached(sql::TOKEN).await.map_err(pg_error)?;
        let row = client.query_opt(&statement, &[&token_id, &shop.as_str()]).await.map_err(pg_error)?;
        row.as_ref().map(sql::token_from_row).transpose()
    }

    async fn token_card(
        &self,
        shop: &ShopId,
        token_id: &str,
    ) -> Result<Option<(PaymentToken, Option<Pan>)>, StoreError> {
        let Some(token) = self.token(shop, token_id).await? else {
            return Ok(None);
        };
        let pan = match token.card() {
            Some(card) => self.reveal_pan(shop, &card.card_id).await?,
            None => None,
        };
        Ok(Some((token, pan)))
    }

    async fn change_token(
        &self,
        shop: &ShopId,
        token_id: &str,
        change: ChangeFn<PaymentToken, TokenRefusal>,
    ) -> Result<PaymentToken, ChangeError<TokenRefusal>> {
        let mut client = self.client().await?;
        let locked = client.transaction().await.map_err(pg_error)?;
        let statement = locked.prepare_cached(sql::TOKEN_FOR_UPDATE).await.map_err(pg_error)?;
        let Some(row) = locked.query_opt(&statement, &[&token_id, &shop.as_str()]).await.map_err(pg_error)? else {
            return Err(ChangeError::NotFound);
        };
        let current = sql::token_from_row(&row)?;
        // Dropping `locked` on any early return rolls it back and releases the row.
        let changed = rows::as_stored_token(guarded(|| change(&current))?.map_err(ChangeError::Refused)?);
        rows::check_renamed("token", (&current.shop_id, &current.id), (&changed.shop_id, &changed.id))?;
        sql::write_token(&locked, &changed).await?;
        locked.commit().await.map_err(pg_error)?;
        Ok(changed)
    }

    async fn renew_token_card(
        &self,
        shop: &ShopId,
        token_id: &str,
        change: ChangeFn<PaymentToken, TokenRefusal>,
        verification: (Transaction, Operation),
        card: NewCard,
    ) -> Result<PaymentToken, ChangeError<TokenRefusal>> {
        let sealed = self.vault.seal(&card.summary.card_id, &card.pan)?;
        let mut client = self.client().await?;
        let locked = client.transaction().await.map_err(pg_error)?;
        let statement = locked.prepare_cached(sql::TOKEN_FOR_UPDATE).await.map_err(pg_error)?;
        let Some(row) = locked.query_opt(&statement, &[&token_id, &shop.as_str()]).await.map_err(pg_error)? else {
            return Err(ChangeError::NotFound);
        };
        let current = sql::token_from_row(&row)?;
        let changed = rows::as_stored_token(guarded(|| change(&current))?.map_err(ChangeError::Refused)?);
        rows::check_renamed("token", (&current.shop_id, &current.id), (&changed.shop_id, &changed.id))?;
        rows::check_same_shop("a token's verification", &changed.shop_id, &verification.0.shop_id)?;
        sql::write_token(&locked, &changed).await?;
        sql::insert_card(&locked, &changed.shop_id, &card, &sealed, &verification.0.created_at).await?;
        insert_new(&locked, verification.0, verification.1).await?;
        locked.commit().await.map_err(pg_error)?;
        Ok(changed)
    }

    async fn insert_payment_form(&self, form: &PaymentForm) -> Result<(), StoreError> {
        let form = rows::as_stored_form(form);
        let client = self.client().await?;
        sql::insert_payment_form(&client, &form).await
    }

    async fn payment_form(&self, form_token: &str) -> Result<Option<PaymentForm>, StoreError> {
        let client = self.client().await?;
        sql::payment_form(&client, form_token).await
    }

    async fn insert_subscription(&self, subscription: &Subscription) -> Result<(), InsertError> {
        let subscription = rows::as_stored_subscription(subscription.clone());
        let client = self.client().await?;
        sql::insert_subscription(&client, &subscription).await
    }

    async fn subscription(&self, shop: &ShopId, subscription_id: &str) -> Result<Option<Subscription>, StoreError> {
        let client = self.client().await?;
        let statement = client.prepare_cached(sql::SUBSCRIPTION).await.map_err(pg_error)?;
        let row = client.query_opt(&statement, &[&shop.as_str(), &subscription_id]).await.map_err(pg_error)?;
        row.as_ref().map(sql::subscription_from_row).transpose()
    }

    async fn change_subscription(
        &self,
        shop: &ShopId,
        subscription_id: &str,
        change: ChangeFn<Subscription, SubscriptionRefusal>,
    ) -> Result<Subscription, ChangeError<SubscriptionRefusal>> {
        let mut client = self.client().await?;
        let locked = client.transaction().await.map_err(pg_error)?;
        let statement = locked.prepare_cached(sql::SUBSCRIPTION_FOR_UPDATE).await.map_err(pg_error)?;
        let row = locked.query_opt(&statement, &[&shop.as_str(), &subscription_id]).await.map_err(pg_error)?;
        let Some(row) = row else {
            return Err(ChangeError::NotFound);
        };
        let current = sql::subscription_from_row(&row)?;
        let changed = rows::as_stored_subscription(guarded(|| change(&current))?.map_err(ChangeError::Refused)?);
        rows::check_renamed("subscription", (&current.shop_id, &current.id), (&changed.shop_id, &changed.id))?;
        sql::write_subscription(&locked, &changed).await?;
        locked.commit().await.map_err(pg_error)?;
        Ok(changed)
    }

    /// A plain read: two processes may both see a subscription due; `record_installment`
    /// (the row lock and the `next_due_at` check) lets only one of them charge it.
    async fn due_subscriptions(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<Subscription>, StoreError> {
        let client = self.client().await?;
        let statement = client.prepare_cached(sql::DUE_SUBSCRIPTIONS).await.map_err(pg_error)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let now = rows::stored_instant(now);
        let active = rows::subscription_status_name(SubscriptionStatus::Active);
        let rows = client.query(&statement, &[&active, &now, &limit]).await.map_err(pg_error)?;
        rows.iter().map(sql::subscription_from_row).collect()
    }

    async fn record_installment(&self, installment: Installment) -> Result<Transaction, InstallmentError> {
        let Installment { transaction, operation, expected_due_at, subscription } = installment;
        let subscription = rows::as_stored_subscription(subscription);
        rows::check_same_shop("an installment", &subscription.shop_id, &transaction.shop_id)
            .map_err(InsertError::from)?;
        let mut client = self.client().await.map_err(InsertError::from)?;
        let locked = client.transaction().await.map_err(|error| InsertError::from(pg_error(error)))?;
        let current = {
            let statement = locked
                .prepare_cached(sql::SUBSCRIPTION_FOR_UPDATE)
                .await
                .map_err(|error| InsertError::from(pg_error(error)))?;
            let row = locked
                .query_opt(&statement, &[&subscription.shop_id.as_str(), &subscription.id])
                .await
                .map_err(|error| InsertError::from(pg_error(error)))?;
            let row = row.ok_or(InsertError::Store(StoreError::NotFound))?;
            sql::subscription_from_row(&row).map_err(InsertError::from)?
        };
        // Read under the lock: another process that charged this installment first has
        // committed a later `next_due_at`. Dropping `locked` rolls back and releases the row.
        if current.next_due_at != Some(rows::stored_instant(expected_due_at)) {
            return Err(InstallmentError::AlreadyRecorded);
        }
        let (stored, _) = insert_new(&locked, transaction, operation).await?;
        sql::write_subscription(&locked, &subscription).await.map_err(InsertError::from)?;
        locked.commit().await.map_err(|error| InsertError::from(pg_error(error)))?;
        Ok(stored)
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

/// Inserts a transaction and its first operation in the caller's database transaction (a
/// verification, an installment, a refund's credit): no card of its own.
async fn insert_new(
    client: &impl GenericClient,
    transaction: Transaction,
    operation: Operation,
) -> Result<(Transaction, Operation), InsertError> {
    let details = rows::details_json(&transaction)?;
    let (mut transaction, operation) = rows::checked_new(transaction, operation)?;
    let s10 = sql::insert_transaction(client, &transaction, &operation, &details, None).await?;
    transaction.s10_transaction_id =
        u32::try_from(s10).map_err(|_| StoreError::Corrupt(format!("s10_transaction_id {s10}")))?;
    Ok((transaction, operation))
}

impl PostgresStore {
    /// `apply`, with the later notices the change owes written before it commits.
    async fn apply_in(
        &self,
        shop: &ShopId,
        key: &TransactionKey,
        transition: TransitionFn,
        notices: Option<(&dyn caisse_core::ports::LaterNotices, caisse_core::ports::LaterSource)>,
    ) -> Result<Transition, ApplyError> {
        let mut client = self.client().await?;
        let locked = client.transaction().await.map_err(pg_error)?;
        let rows = sql::query_by_key(&locked, &sql::TRANSACTION_FOR_UPDATE_BY, shop, key).await?;
        let Some(row) = rows.first() else {
            return Err(ApplyError::NotFound);
        };
        let (row_id, current) = sql::transaction_from_row(row)?;
        // Dropping `locked` on an early return rolls it back, but without waiting: a refusal,
        // the usual early return, is rolled back before it is answered, so that the row is
        // free when the merchant's next call (or the batch, which skips locked rows) comes.
        let transition = match guarded(|| transition(&current))? {
            Ok(transition) => transition,
            Err(refusal) => {
                locked.rollback().await.map_err(pg_error)?;
                return Err(refusal.into());
            }
        };
        let mut transition = rows::checked_transition(&current, transition)?;
        sql::update(&locked, row_id, &current, &transition.updated).await?;
        sql::insert_operation(&locked, &transition.operation).await?;
        if let Some((spawned, operation)) = transition.spawned.take() {
            // A refund's CREDIT, in the same transaction as its parent's update; its card is
            // the parent's vault entry. Its reference cannot clash with a merchant's (see
            // `CREDIT_REFERENCE_PREFIX`): a clash is a bug, reported as such.
            let stored = insert_new(&locked, spawned, operation).await.map_err(|error| match error {
                InsertError::DuplicateReference => StoreError::AlreadyExists,
                InsertError::Store(error) => error,
            })?;
            transition.spawned = Some(stored);
        }
        if let Some((notices, source)) = notices {
            let noticed = crate::later_notice_rows::noticed(&transition);
            later_notices::write(&locked, noticed, notices, source).await?;
        }
        locked.commit().await.map_err(pg_error)?;
        Ok(transition)
    }

    /// The capture batch, chunk by chunk, with the notices each settled transaction owes.
    async fn capture_batch(
        &self,
        today: NaiveDate,
        now: DateTime<Utc>,
        notices: Option<&dyn caisse_core::ports::LaterNotices>,
    ) -> Result<BatchReport, StoreError> {
        let mut total = BatchReport::default();
        loop {
            let (report, candidates) = self.settle_chunk(today, now, notices).await?;
            let settled = report.captured + report.expired + report.credited;
            total.captured += report.captured;
            total.expired += report.expired;
            total.credited += report.credited;
            if candidates < BATCH_CHUNK {
                return Ok(total);
            }
            if settled == 0 {
                return Err(StoreError::Corrupt("capture batch found candidates it could not settle".into()));
            }
        }
    }

    /// Settles up to `BATCH_CHUNK` candidates in one transaction. Rows another process holds
    /// (its batch, an `apply`) are skipped: they are that process's, or the next batch's.
    async fn settle_chunk(
        &self,
        today: NaiveDate,
        now: DateTime<Utc>,
        notices: Option<&dyn caisse_core::ports::LaterNotices>,
    ) -> Result<(BatchReport, usize), StoreError> {
        let mut client = self.client().await?;
        let locked = client.transaction().await.map_err(pg_error)?;
        let statement = locked.prepare_cached(sql::SETTLE_CANDIDATES).await.map_err(pg_error)?;
        let limit = BATCH_CHUNK as i64;
        let rows = locked
            .query(
                &statement,
                &[
                    &today,
                    &TransactionStatus::ToCapture.as_str(),
                    &TransactionStatus::ToValidate.as_str(),
                    &TransactionStatus::ToCredit.as_str(),
                    &limit,
                ],
            )
            .await
            .map_err(pg_error)?;
        let mut report = BatchReport::default();
        for row in &rows {
            let (row_id, current) = sql::transaction_from_row(row)?;
            let Some(transition) = guarded(|| transaction::settle(&current, today, now))? else {
                continue;
            };
            let transition = rows::checked_transition(&current, transition)?;
            sql::update(&locked, row_id, &current, &transition.updated).await?;
            sql::insert_operation(&locked, &transition.operation).await?;
            if let Some(notices) = notices {
                let batch = caisse_core::ports::LaterSource::Batch;
                later_notices::write(&locked, &transition.updated, notices, batch).await?;
            }
            rows::count_settled(&mut report, transition.operation.name);
        }
        locked.commit().await.map_err(pg_error)?;
        Ok((report, rows.len()))
    }
}
