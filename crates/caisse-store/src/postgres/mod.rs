//! The PostgreSQL backend: a pool of connections, PostgreSQL's own group commit across them,
//! and row locks (`SELECT … FOR UPDATE`) so that several caisse processes can share one
//! database: two of them never refund the same money twice, and their capture batches skip
//! each other's rows (`SKIP LOCKED`).

mod migrate;
mod sql;

use crate::OpenOptions;
use crate::rows::{self, guarded};
use crate::vault::{Vault, VaultKey};
use async_trait::async_trait;
use caisse_core::Pan;
use caisse_core::operation::Operation;
use caisse_core::ports::{ApplyError, BatchReport, InsertError, NewCard, Store, StoreError, TransitionFn};
use caisse_core::shop::{SecretKey, Shop, ShopId};
use caisse_core::transaction::{self, Transaction, TransactionKey, TransactionStatus, Transition};
use chrono::{DateTime, NaiveDate, Utc};
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
        let sealed = match &card {
            Some(card) => Some(self.vault.seal(&card.summary.card_id, &card.pan)?),
            None => None,
        };
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
        let mut client = self.client().await?;
        let locked = client.transaction().await.map_err(pg_error)?;
        let rows = sql::query_by_key(&locked, &sql::TRANSACTION_FOR_UPDATE_BY, shop, key).await?;
        let Some(row) = rows.first() else {
            return Err(ApplyError::NotFound);
        };
        let (row_id, current) = sql::transaction_from_row(row)?;
        // Dropping `locked` on any early return rolls it back and releases the row.
        let transition = guarded(|| transition(&current))??;
        let transition = rows::checked_transition(&current, transition)?;
        sql::update(&locked, row_id, &current, &transition.updated).await?;
        sql::insert_operation(&locked, &transition.operation).await?;
        locked.commit().await.map_err(pg_error)?;
        Ok(transition)
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
        let mut total = BatchReport::default();
        loop {
            let (report, candidates) = self.settle_chunk(today, now).await?;
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
}

impl PostgresStore {
    /// Settles up to `BATCH_CHUNK` candidates in one transaction. Rows another process holds
    /// (its batch, an `apply`) are skipped: they are that process's, or the next batch's.
    async fn settle_chunk(&self, today: NaiveDate, now: DateTime<Utc>) -> Result<(BatchReport, usize), StoreError> {
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
            rows::count_settled(&mut report, transition.operation.name);
        }
        locked.commit().await.map_err(pg_error)?;
        Ok((report, rows.len()))
    }
}
