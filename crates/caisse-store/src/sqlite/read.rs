//! Reads: a small pool of read-only connections used from `spawn_blocking`, and the queries
//! both they and the writer (which reads the row it is about to change) run.

use super::{BUSY_TIMEOUT, STATEMENT_CACHE, run_guarded, sql_error};
use crate::rows::{self, OperationRow, PaymentFormRow, SubscriptionRow, TokenRow, TransactionRow};
use caisse_core::operation::Operation;
use caisse_core::payment_form::PaymentForm;
use caisse_core::ports::StoreError;
use caisse_core::shop::{LyraCredentials, Shop, ShopId};
use caisse_core::subscription::{Subscription, SubscriptionStatus};
use caisse_core::token::PaymentToken;
use caisse_core::transaction::{Transaction, TransactionKey};
use chrono::{DateTime, Utc};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, Row, Statement, params};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;

/// The columns of `transactions` every query reads, in `transaction_from_row`'s order.
macro_rules! transaction_columns {
    () => {
        "row_id, id, shop_id, reference, s10_transaction_id, kind, status, currency, \
         origin_amount, amount, refunded_amount, capture_mode, capture_day, capture_date, \
         created_at, last_operation, last_operation_at, details"
    };
}
pub(super) use transaction_columns;

// The three ways to name a transaction, each with ?1 = shop. An S10 id repeats after
// `rows::S10_MODULUS` transactions in a day: the latest one is meant.
macro_rules! by_reference {
    () => {
        " FROM transactions WHERE shop_id = ?1 AND reference = ?2"
    };
}
macro_rules! by_s10 {
    () => {
        " FROM transactions WHERE shop_id = ?1 AND s10_date = ?2 AND s10_transaction_id = ?3 \
          ORDER BY row_id DESC LIMIT 1"
    };
}
macro_rules! by_id {
    () => {
        " FROM transactions WHERE shop_id = ?1 AND id = ?2"
    };
}

const TRANSACTION_BY_REFERENCE: &str = concat!("SELECT ", transaction_columns!(), by_reference!());
const TRANSACTION_BY_S10: &str = concat!("SELECT ", transaction_columns!(), by_s10!());
const TRANSACTION_BY_ID: &str = concat!("SELECT ", transaction_columns!(), by_id!());

macro_rules! operations_of {
    ($by:expr) => {
        concat!(
            "SELECT id, transaction_id, name, amount, at, acquirer_response_code, \
             authorisation_id FROM operations WHERE transaction_id = (SELECT id",
            $by,
            ") ORDER BY row_id"
        )
    };
}

/// An order's transactions, oldest first (the index `transactions_shop_order`).
const TRANSACTIONS_BY_ORDER: &str = concat!(
    "SELECT ",
    transaction_columns!(),
    " FROM transactions WHERE shop_id = ?1 AND order_id = ?2 ORDER BY created_at, row_id"
);

const OPERATIONS_BY_REFERENCE: &str = operations_of!(by_reference!());
const OPERATIONS_BY_S10: &str = operations_of!(by_s10!());
const OPERATIONS_BY_ID: &str = operations_of!(by_id!());

/// Read-only connections, opened on first use, at most `size` at once.
pub(super) struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    permits: Arc<Semaphore>,
}

impl Readers {
    pub(super) fn new(path: PathBuf, size: usize) -> Arc<Readers> {
        Arc::new(Readers { path, idle: Mutex::new(Vec::with_capacity(size)), permits: Arc::new(Semaphore::new(size)) })
    }

    /// Runs `work` on a read connection, on tokio's blocking pool.
    pub(super) async fn run<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Unavailable("sqlite readers closed".into()))?;
        let readers = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let connection = match readers.take_idle() {
                Some(connection) => connection,
                None => readers.open()?,
            };
            let result = run_guarded(|| work(&connection));
            readers.give_back(connection);
            result
        })
        .await
        .map_err(|_| StoreError::Unavailable("sqlite read task failed".into()))?
    }

    /// Runs `work` on a read connection right here, on the calling worker: for the point reads
    /// of the hot path (a token and its vault entry by primary key), which in WAL mode never
    /// wait for the writer and take microseconds, less than a hand-off to the blocking pool.
    pub(super) async fn run_here<T>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let _permit =
            self.permits.acquire().await.map_err(|_| StoreError::Unavailable("sqlite readers closed".into()))?;
        let connection = match self.take_idle() {
            Some(connection) => connection,
            None => self.open()?,
        };
        let result = run_guarded(|| work(&connection));
        self.give_back(connection);
        result
    }

    fn take_idle(&self) -> Option<Connection> {
        self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).pop()
    }

    fn give_back(&self, connection: Connection) {
        self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(connection);
    }

    fn open(&self) -> Result<Connection, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connection = Connection::open_with_flags(&self.path, flags).map_err(sql_error)?;
        connection.busy_timeout(BUSY_TIMEOUT).map_err(sql_error)?;
        connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        super::stable_plans(&connection)?;
        Ok(connection)
    }
}

/// Binds a transaction key after ?1 = shop.
fn query_by_key<'s>(
    statement: &'s mut Statement<'_>,
    shop: &ShopId,
    key: &TransactionKey,
) -> Result<rusqlite::Rows<'s>, StoreError> {
    match key {
        TransactionKey::Reference(reference) => statement.query(params![shop.as_str(), reference]),
        TransactionKey::S10 { id, date } => {
            statement.query(params![shop.as_str(), rows::date_text(*date), i64::from(*id)])
        }
        TransactionKey::Id(id) => statement.query(params![shop.as_str(), id.as_str()]),
    }
    .map_err(sql_error)
}

/// A shop's transaction with its row id; another shop's is `None`.
pub(super) fn find_transaction(
    connection: &Connection,
    shop: &ShopId,
    key: &TransactionKey,
) -> Result<Option<(i64, Transaction)>, StoreError> {
    let sql = match key {
        TransactionKey::Reference(_) => TRANSACTION_BY_REFERENCE,
        TransactionKey::S10 { .. } => TRANSACTION_BY_S10,
        TransactionKey::Id(_) => TRANSACTION_BY_ID,
    };
    let mut statement = connection.prepare_cached(sql).map_err(sql_error)?;
    let mut rows = query_by_key(&mut statement, shop, key)?;
    match rows.next().map_err(sql_error)? {
        Some(row) => transaction_from_row(row).map(Some),
        None => Ok(None),
    }
}

pub(super) fn operations(
    connection: &Connection,
    shop: &ShopId,
    key: &TransactionKey,
) -> Result<Vec<Operation>, StoreError> {
    let sql = match key {
        TransactionKey::Reference(_) => OPERATIONS_BY_REFERENCE,
        TransactionKey::S10 { .. } => OPERATIONS_BY_S10,
        TransactionKey::Id(_) => OPERATIONS_BY_ID,
    };
    let mut statement = connection.prepare_cached(sql).map_err(sql_error)?;
    let mut rows = query_by_key(&mut statement, shop, key)?;
    let mut operations = Vec::new();
    while let Some(row) = rows.next().map_err(sql_error)? {
        let operation = OperationRow {
            id: text(row, 0)?,
            transaction_id: text(row, 1)?,
            name: text(row, 2)?,
            amount: integer(row, 3)?,
            at: rows::parse_timestamp(text(row, 4)?)?,
            acquirer_response_code: optional_text(row, 5)?,
            authorisation_id: optional_text(row, 6)?,
        };
        operations.push(operation.decode()?);
    }
    Ok(operations)
}

/// Reads a row selected with `transaction_columns!()`.
pub(super) fn transaction_from_row(row: &Row<'_>) -> Result<(i64, Transaction), StoreError> {
    let transaction = TransactionRow {
        id: text(row, 1)?,
        shop_id: text(row, 2)?,
        reference: text(row, 3)?,
        s10_transaction_id: integer(row, 4)?,
        kind: text(row, 5)?,
        status: text(row, 6)?,
        currency: text(row, 7)?,
        origin_amount: integer(row, 8)?,
        amount: integer(row, 9)?,
        refunded_amount: integer(row, 10)?,
        capture_mode: text(row, 11)?,
        capture_day: integer(row, 12)?,
        capture_date: rows::parse_date(text(row, 13)?)?,
        created_at: rows::parse_timestamp(text(row, 14)?)?,
        last_operation: text(row, 15)?,
        last_operation_at: rows::parse_timestamp(text(row, 16)?)?,
        details: text(row, 17)?,
    }
    .decode()?;
    Ok((integer(row, 0)?, transaction))
}

pub(super) fn shop(connection: &Connection, id: &ShopId) -> Result<Option<Shop>, StoreError> {
    let mut statement = connection.prepare_cached("SELECT name FROM shops WHERE id = ?1").map_err(sql_error)?;
    let mut rows = statement.query(params![id.as_str()]).map_err(sql_error)?;
    let Some(row) = rows.next().map_err(sql_error)? else {
        return Ok(None);
    };
    let name = text(row, 0)?.to_owned();
    let mut statement = connection
        .prepare_cached("SELECT key_version, secret FROM sips_keys WHERE shop_id = ?1 ORDER BY key_version")
        .map_err(sql_error)?;
    let mut rows = statement.query(params![id.as_str()]).map_err(sql_error)?;
    let mut keys = Vec::new();
    while let Some(row) = rows.next().map_err(sql_error)? {
        keys.push(rows::secret_key(integer(row, 0)?, text(row, 1)?)?);
    }
    Ok(Some(Shop { id: id.clone(), name, keys }))
}

pub(super) fn list_shops(connection: &Connection) -> Result<Vec<Shop>, StoreError> {
    let mut statement = connection
        .prepare_cached(
            "SELECT s.id, s.name, k.key_version, k.secret FROM shops s \
             LEFT JOIN sips_keys k ON k.shop_id = s.id ORDER BY s.id, k.key_version",
        )
        .map_err(sql_error)?;
    let mut rows = statement.query([]).map_err(sql_error)?;
    let mut shops: Vec<Shop> = Vec::new();
    while let Some(row) = rows.next().map_err(sql_error)? {
        let id = text(row, 0)?;
        if shops.last().is_none_or(|shop| shop.id.as_str() != id) {
            shops.push(Shop { id: ShopId(id.to_owned()), name: text(row, 1)?.to_owned(), keys: Vec::new() });
        }
        if let (Some(version), Some(secret)) = (optional_integer(row, 2)?, optional_text(row, 3)?)
            && let Some(shop) = shops.last_mut()
        {
            shop.keys.push(rows::secret_key(version, secret)?);
        }
    }
    Ok(shops)
}

/// A vault entry as stored.
pub(super) struct StoredCard {
    pub(super) nonce: Vec<u8>,
    pub(super) ciphertext: Vec<u8>,
}

/// The vault entry of a card of this shop.
pub(super) fn sealed_card(
    connection: &Connection,
    shop: &ShopId,
    card_id: &str,
) -> Result<Option<StoredCard>, StoreError> {
    let mut statement = connection
        .prepare_cached("SELECT nonce, ciphertext FROM cards WHERE card_id = ?1 AND shop_id = ?2")
        .map_err(sql_error)?;
    let mut rows = statement.query(params![card_id, shop.as_str()]).map_err(sql_error)?;
    match rows.next().map_err(sql_error)? {
        Some(row) => Ok(Some(StoredCard { nonce: blob(row, 0)?.to_vec(), ciphertext: blob(row, 1)?.to_vec() })),
        None => Ok(None),
    }
}

pub(super) fn transactions_by_order(
    connection: &Connection,
    shop: &ShopId,
    order_id: &str,
) -> Result<Vec<Transaction>, StoreError> {
    let mut statement = connection.prepare_cached(TRANSACTIONS_BY_ORDER).map_err(sql_error)?;
    let mut rows = statement.query(params![shop.as_str(), order_id]).map_err(sql_error)?;
    let mut transactions = Vec::new();
    while let Some(row) = rows.next().map_err(sql_error)? {
        transactions.push(transaction_from_row(row)?.1);
    }
    Ok(transactions)
}

pub(super) fn lyra_credentials(connection: &Connection, shop: &ShopId) -> Result<Option<LyraCredentials>, StoreError> {
    let mut statement = connection
        .prepare_cached(
            "SELECT test_password, production_password, test_hmac_key, production_hmac_key \
             FROM lyra_credentials WHERE shop_id = ?1",
        )
        .map_err(sql_error)?;
    let mut rows = statement.query(params![shop.as_str()]).map_err(sql_error)?;
    match rows.next().map_err(sql_error)? {
        Some(row) => Ok(Some(LyraCredentials {
            shop_id: shop.clone(),
            test_password: text(row, 0)?.to_owned(),
            production_password: text(row, 1)?.to_owned(),
            test_hmac_key: text(row, 2)?.to_owned(),
            production_hmac_key: text(row, 3)?.to_owned(),
        })),
        None => Ok(None),
    }
}

/// A shop's token; another shop's is `None`.
/// A token and its sealed card in one read transaction: starting one (the WAL snapshot and
/// its shared lock) costs more than either lookup, and both must see the same state anyway.
pub(super) fn token_with_card(
    connection: &Connection,
    shop: &ShopId,
    token_id: &str,
) -> Result<Option<(PaymentToken, Option<StoredCard>)>, StoreError> {
    execute_cached(connection, "BEGIN")?;
    let found = token(connection, shop, token_id).and_then(|token| match token {
        Some(token) => {
            let sealed = match token.card() {
                Some(card) => sealed_card(connection, shop, &card.card_id)?,
                None => None,
            };
            Ok(Some((token, sealed)))
        }
        None => Ok(None),
    });
    // A read transaction changes nothing: ending it cannot lose anything, only release it.
    execute_cached(connection, "COMMIT")?;
    found
}

fn execute_cached(connection: &Connection, sql: &str) -> Result<(), StoreError> {
    connection.prepare_cached(sql).and_then(|mut statement| statement.execute([])).map(|_| ()).map_err(sql_error)
}

pub(super) fn token(
    connection: &Connection,
    shop: &ShopId,
    token_id: &str,
) -> Result<Option<PaymentToken>, StoreError> {
    let mut statement = connection
        .prepare_cached(
            "SELECT id, shop_id, status, created_at, cancelled_at, details FROM tokens \
             WHERE id = ?1 AND shop_id = ?2",
        )
        .map_err(sql_error)?;
    let mut rows = statement.query(params![token_id, shop.as_str()]).map_err(sql_error)?;
    let Some(row) = rows.next().map_err(sql_error)? else {
        return Ok(None);
    };
    TokenRow {
        id: text(row, 0)?,
        shop_id: text(row, 1)?,
        status: text(row, 2)?,
        created_at: rows::parse_timestamp(text(row, 3)?)?,
        cancelled_at: optional_timestamp(row, 4)?,
        details: text(row, 5)?,
    }
    .decode()
    .map(Some)
}

pub(super) fn payment_form(connection: &Connection, form_token: &str) -> Result<Option<PaymentForm>, StoreError> {
    let mut statement = connection
        .prepare_cached(
            "SELECT form_token, shop_id, mode, purpose, amount, currency, request, created_at, \
             expires_at, consumed_at FROM payment_forms WHERE form_token = ?1",
        )
        .map_err(sql_error)?;
    let mut rows = statement.query(params![form_token]).map_err(sql_error)?;
    let Some(row) = rows.next().map_err(sql_error)? else {
        return Ok(None);
    };
    PaymentFormRow {
        form_token: text(row, 0)?,
        shop_id: text(row, 1)?,
        mode: text(row, 2)?,
        purpose: text(row, 3)?,
        amount: integer(row, 4)?,
        currency: text(row, 5)?,
        request: text(row, 6)?,
        created_at: rows::parse_timestamp(text(row, 7)?)?,
        expires_at: rows::parse_timestamp(text(row, 8)?)?,
        consumed_at: optional_timestamp(row, 9)?,
    }
    .decode()
    .map(Some)
}

/// The columns of `subscriptions` every query reads, in `subscription_from_row`'s order.
macro_rules! subscription_columns {
    () => {
        "shop_id, id, token_id, status, next_due_at, created_at, details"
    };
}

const SUBSCRIPTION: &str =
    concat!("SELECT ", subscription_columns!(), " FROM subscriptions WHERE shop_id = ?1 AND id = ?2");
/// Oldest due first; the index `subscriptions_due` serves both the filter and the order.
const DUE_SUBSCRIPTIONS: &str = concat!(
    "SELECT ",
    subscription_columns!(),
    " FROM subscriptions WHERE status = ?1 AND next_due_at <= ?2 \
     ORDER BY next_due_at, shop_id, id LIMIT ?3"
);

fn subscription_from_row(row: &Row<'_>) -> Result<Subscription, StoreError> {
    SubscriptionRow {
        shop_id: text(row, 0)?,
        id: text(row, 1)?,
        token_id: text(row, 2)?,
        status: text(row, 3)?,
        next_due_at: optional_timestamp(row, 4)?,
        created_at: rows::parse_timestamp(text(row, 5)?)?,
        details: text(row, 6)?,
    }
    .decode()
}

pub(super) fn subscription(
    connection: &Connection,
    shop: &ShopId,
    subscription_id: &str,
) -> Result<Option<Subscription>, StoreError> {
    let mut statement = connection.prepare_cached(SUBSCRIPTION).map_err(sql_error)?;
    let mut rows = statement.query(params![shop.as_str(), subscription_id]).map_err(sql_error)?;
    match rows.next().map_err(sql_error)? {
        Some(row) => subscription_from_row(row).map(Some),
        None => Ok(None),
    }
}

pub(super) fn due_subscriptions(
    connection: &Connection,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<Subscription>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut statement = connection.prepare_cached(DUE_SUBSCRIPTIONS).map_err(sql_error)?;
    // Stored instants are cut to microseconds: `now` is compared the same way.
    let now = rows::timestamp_text(rows::stored_instant(now));
    let active = rows::subscription_status_name(SubscriptionStatus::Active);
    let mut rows = statement.query(params![active, now, limit]).map_err(sql_error)?;
    let mut due = Vec::new();
    while let Some(row) = rows.next().map_err(sql_error)? {
        due.push(subscription_from_row(row)?);
    }
    Ok(due)
}

fn optional_timestamp(row: &Row<'_>, index: usize) -> Result<Option<DateTime<Utc>>, StoreError> {
    optional_text(row, index)?.map(rows::parse_timestamp).transpose()
}

fn value<'r>(row: &'r Row<'_>, index: usize) -> Result<ValueRef<'r>, StoreError> {
    row.get_ref(index).map_err(sql_error)
}

fn wrong_type(index: usize) -> StoreError {
    StoreError::Corrupt(format!("sqlite column {index} has an unexpected type"))
}

pub(super) fn text<'r>(row: &'r Row<'_>, index: usize) -> Result<&'r str, StoreError> {
    value(row, index)?.as_str().map_err(|_| wrong_type(index))
}

fn optional_text<'r>(row: &'r Row<'_>, index: usize) -> Result<Option<&'r str>, StoreError> {
    value(row, index)?.as_str_or_null().map_err(|_| wrong_type(index))
}

pub(super) fn integer(row: &Row<'_>, index: usize) -> Result<i64, StoreError> {
    value(row, index)?.as_i64().map_err(|_| wrong_type(index))
}

fn optional_integer(row: &Row<'_>, index: usize) -> Result<Option<i64>, StoreError> {
    value(row, index)?.as_i64_or_null().map_err(|_| wrong_type(index))
}

fn blob<'r>(row: &'r Row<'_>, index: usize) -> Result<&'r [u8], StoreError> {
    value(row, index)?.as_blob().map_err(|_| wrong_type(index))
}
