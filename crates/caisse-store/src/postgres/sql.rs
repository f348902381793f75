//! The PostgreSQL statements and row decoding. Every statement is prepared once per pooled
//! connection (`prepare_cached`).

use super::{pg_error, write_error};
use crate::rows::{self, OperationRow, PaymentFormRow, SubscriptionRow, TokenRow, TransactionRow};
use crate::vault::SealedPan;
use caisse_core::operation::Operation;
use caisse_core::payment_form::PaymentForm;
use caisse_core::ports::{InsertError, NewCard, StoreError};
use caisse_core::shop::{LyraCredentials, SecretKey, Shop, ShopId};
use caisse_core::subscription::Subscription;
use caisse_core::token::PaymentToken;
use caisse_core::transaction::{Transaction, TransactionKey};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::FromSql;

/// The columns of `transactions` every query reads, in `transaction_from_row`'s order.
macro_rules! transaction_columns {
    () => {
        "row_id, id, shop_id, reference, s10_transaction_id, kind, status, currency, \
         origin_amount, amount, refunded_amount, capture_mode, capture_day, capture_date, \
         created_at, last_operation, last_operation_at, details::text"
    };
}

// The three ways to name a transaction, each with $1 = shop. An S10 id repeats after
// `rows::S10_MODULUS` transactions in a day: the latest one is meant.
macro_rules! by_reference {
    () => {
        " FROM transactions WHERE shop_id = $1 AND reference = $2"
    };
}
macro_rules! by_s10 {
    () => {
        " FROM transactions WHERE shop_id = $1 AND s10_date = $2 AND s10_transaction_id = $3 \
          ORDER BY row_id DESC LIMIT 1"
    };
}
macro_rules! by_id {
    () => {
        " FROM transactions WHERE shop_id = $1 AND id = $2"
    };
}

/// One statement per kind of key: reference, S10, id.
pub(super) type ByKey = [&'static str; 3];

pub(super) const TRANSACTION_BY: ByKey = [
    concat!("SELECT ", transaction_columns!(), by_reference!()),
    concat!("SELECT ", transaction_columns!(), by_s10!()),
    concat!("SELECT ", transaction_columns!(), by_id!()),
];

pub(super) const TRANSACTION_FOR_UPDATE_BY: ByKey = [
    concat!("SELECT ", transaction_columns!(), by_reference!(), " FOR UPDATE"),
    concat!("SELECT ", transaction_columns!(), by_s10!(), " FOR UPDATE"),
    concat!("SELECT ", transaction_columns!(), by_id!(), " FOR UPDATE"),
];

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

pub(super) const OPERATIONS_BY: ByKey =
    [operations_of!(by_reference!()), operations_of!(by_s10!()), operations_of!(by_id!())];

/// An order's transactions, oldest first (the index `transactions_shop_order`).
pub(super) const TRANSACTIONS_BY_ORDER: &str = concat!(
    "SELECT ",
    transaction_columns!(),
    " FROM transactions WHERE shop_id = $1 AND order_id = $2 ORDER BY created_at, row_id"
);

/// Candidates of the capture batch (the conditions are `transaction::settle`'s), locked; rows
/// another transaction holds are skipped.
pub(super) const SETTLE_CANDIDATES: &str = concat!(
    "SELECT ",
    transaction_columns!(),
    " FROM transactions WHERE (status = $2 AND capture_date <= $1) \
     OR (status = $3 AND capture_date < $1) OR status = $4 \
     LIMIT $5 FOR UPDATE SKIP LOCKED"
);

/// A transaction, its first operation and (second statement) its vault entry in one
/// statement: one round trip, atomic without BEGIN/COMMIT. The row id comes from the
/// sequence and the s10 id from the row id (`rows::s10_of`).
macro_rules! insert_transaction {
    ($card:expr) => {
        concat!(
            "WITH next AS (SELECT nextval('transaction_row_ids') AS row_id), \
             inserted AS ( \
               INSERT INTO transactions (row_id, id, shop_id, reference, s10_transaction_id, \
                 s10_date, kind, status, currency, origin_amount, amount, refunded_amount, \
                 capture_mode, capture_day, capture_date, created_at, last_operation, \
                 last_operation_at, details, order_id) \
               SELECT row_id, $1::text, $2::text, $3::text, \
                 ((row_id - 1) % 999999 + 1)::integer, $4::date, $5::text, $6::text, \
                 $7::text, $8::bigint, $9::bigint, $10::bigint, $11::text, $12::smallint, \
                 $13::date, $14::timestamptz, $15::text, $16::timestamptz, $17::text::jsonb, \
                 $24::text \
               FROM next RETURNING id, s10_transaction_id), \
             operation AS ( \
               INSERT INTO operations (id, transaction_id, name, amount, at, \
                 acquirer_response_code, authorisation_id) \
               SELECT $18::text, id, $19::text, $20::bigint, $21::timestamptz, $22::text, \
                 $23::text FROM inserted)",
            $card,
            " SELECT s10_transaction_id FROM inserted"
        )
    };
}

const INSERT_TRANSACTION: &str = insert_transaction!("");
const INSERT_TRANSACTION_WITH_CARD: &str = insert_transaction!(
    ", card AS (INSERT INTO cards (card_id, shop_id, nonce, ciphertext, created_at) \
     SELECT $25::text, $2::text, $26::bytea, $27::bytea, $14::timestamptz FROM inserted)"
);

/// A column, or `Corrupt` if it does not decode.
pub(super) fn get<'a, T: FromSql<'a>>(row: &'a Row, index: usize) -> Result<T, StoreError> {
    row.try_get(index).map_err(|error| StoreError::Corrupt(format!("postgres column {index}: {error}")))
}

/// Runs the statement of `by` that fits the key, with $1 = shop.
pub(super) async fn query_by_key(
    client: &impl GenericClient,
    by: &ByKey,
    shop: &ShopId,
    key: &TransactionKey,
) -> Result<Vec<Row>, StoreError> {
    let rows = match key {
        TransactionKey::Reference(reference) => {
            let statement = client.prepare_cached(by[0]).await.map_err(pg_error)?;
            client.query(&statement, &[&shop.as_str(), &reference.as_str()]).await
        }
        TransactionKey::S10 { id, date } => {
            let statement = client.prepare_cached(by[1]).await.map_err(pg_error)?;
            // Beyond an INTEGER it cannot be stored: no transaction has it.
            let Ok(id) = i32::try_from(*id) else {
                return Ok(Vec::new());
            };
            client.query(&statement, &[&shop.as_str(), date, &id]).await
        }
        TransactionKey::Id(id) => {
            let statement = client.prepare_cached(by[2]).await.map_err(pg_error)?;
            client.query(&statement, &[&shop.as_str(), &id.as_str()]).await
        }
    };
    rows.map_err(pg_error)
}

/// Reads a row selected with `transaction_columns!()`.
pub(super) fn transaction_from_row(row: &Row) -> Result<(i64, Transaction), StoreError> {
    let transaction = TransactionRow {
        id: get(row, 1)?,
        shop_id: get(row, 2)?,
        reference: get(row, 3)?,
        s10_transaction_id: i64::from(get::<i32>(row, 4)?),
        kind: get(row, 5)?,
        status: get(row, 6)?,
        currency: get(row, 7)?,
        origin_amount: get(row, 8)?,
        amount: get(row, 9)?,
        refunded_amount: get(row, 10)?,
        capture_mode: get(row, 11)?,
        capture_day: i64::from(get::<i16>(row, 12)?),
        capture_date: get(row, 13)?,
        created_at: get(row, 14)?,
        last_operation: get(row, 15)?,
        last_operation_at: get(row, 16)?,
        details: get(row, 17)?,
    }
    .decode()?;
    Ok((get(row, 0)?, transaction))
}

pub(super) fn operation_from_row(row: &Row) -> Result<Operation, StoreError> {
    OperationRow {
        id: get(row, 0)?,
        transaction_id: get(row, 1)?,
        name: get(row, 2)?,
        amount: get(row, 3)?,
        at: get(row, 4)?,
        acquirer_response_code: get(row, 5)?,
        authorisation_id: get(row, 6)?,
    }
    .decode()
}

/// Inserts a new transaction, its first operation and its sealed card; returns its s10 id.
pub(super) async fn insert_transaction(
    client: &impl GenericClient,
    transaction: &Transaction,
    operation: &Operation,
    details: &str,
    card: Option<(&NewCard, &SealedPan)>,
) -> Result<i32, InsertError> {
    let origin_amount = rows::amount_column(transaction.origin_amount)?;
    let amount = rows::amount_column(transaction.amount)?;
    let refunded_amount = rows::amount_column(transaction.refunded_amount)?;
    let operation_amount = rows::amount_column(operation.amount)?;
    let capture_day = i16::from(transaction.capture_day);
    let s10_date = transaction.created_at.date_naive();
    let id = transaction.id.as_str();
    let shop = transaction.shop_id.as_str();
    let kind = rows::kind_name(transaction.kind);
    let status = transaction.status.as_str();
    let currency = transaction.currency.alpha_code();
    let capture_mode = transaction.capture_mode.as_str();
    let last_operation = transaction.last_operation.as_str();
    let operation_name = operation.name.as_str();
    let card_id = card.map(|(card, _)| card.summary.card_id.as_str());
    let nonce = card.map(|(_, sealed)| sealed.nonce.as_slice());
    let ciphertext = card.map(|(_, sealed)| sealed.ciphertext.as_slice());
    let order_id = rows::order_id(transaction);
    let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = vec![
        &id,
        &shop,
        &transaction.reference,
        &s10_date,
        &kind,
        &status,
        &currency,
        &origin_amount,
        &amount,
        &refunded_amount,
        &capture_mode,
        &capture_day,
        &transaction.capture_date,
        &transaction.created_at,
        &last_operation,
        &transaction.last_operation_at,
        &details,
        &operation.id,
        &operation_name,
        &operation_amount,
        &operation.at,
        &operation.acquirer_response_code,
        &operation.authorisation_id,
        &order_id,
    ];
    let sql = if card.is_some() {
        params.extend([&card_id as &(dyn tokio_postgres::types::ToSql + Sync), &nonce, &ciphertext]);
        INSERT_TRANSACTION_WITH_CARD
    } else {
        INSERT_TRANSACTION
    };
    let statement = client.prepare_cached(sql).await.map_err(pg_error)?;
    let row = client.query_one(&statement, &params).await.map_err(|error| match error.as_db_error() {
        Some(db)
            if *db.code() == SqlState::UNIQUE_VIOLATION && db.constraint() == Some("transactions_shop_reference") =>
        {
            InsertError::DuplicateReference
        }
        _ => InsertError::Store(write_error(error)),
    })?;
    Ok(get(&row, 0)?)
}

pub(super) async fn insert_operation(client: &impl GenericClient, operation: &Operation) -> Result<(), StoreError> {
    let amount = rows::amount_column(operation.amount)?;
    let statement = client
        .prepare_cached(
            "INSERT INTO operations (id, transaction_id, name, amount, at, \
             acquirer_response_code, authorisation_id) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .await
        .map_err(pg_error)?;
    client
        .execute(
            &statement,
            &[
                &operation.id,
                &operation.transaction_id.as_str(),
                &operation.name.as_str(),
                &amount,
                &operation.at,
                &operation.acquirer_response_code,
                &operation.authorisation_id,
            ],
        )
        .await
        .map_err(write_error)?;
    Ok(())
}

/// Writes a transition's new state over the row it was computed from (locked by the caller).
pub(super) async fn update(
    client: &impl GenericClient,
    row_id: i64,
    current: &Transaction,
    updated: &Transaction,
) -> Result<(), StoreError> {
    let details = if rows::details_changed(current, updated) { Some(rows::details_json(updated)?) } else { None };
    let origin_amount = rows::amount_column(updated.origin_amount)?;
    let amount = rows::amount_column(updated.amount)?;
    let refunded_amount = rows::amount_column(updated.refunded_amount)?;
    let capture_day = i16::from(updated.capture_day);
    let statement = client
        .prepare_cached(
            "UPDATE transactions SET kind = $2, status = $3, currency = $4, origin_amount = $5, \
             amount = $6, refunded_amount = $7, capture_mode = $8, capture_day = $9, \
             capture_date = $10, last_operation = $11, last_operation_at = $12, \
             details = COALESCE($13::text::jsonb, details), order_id = $14 WHERE row_id = $1",
        )
        .await
        .map_err(pg_error)?;
    let changed = client
        .execute(
            &statement,
            &[
                &row_id,
                &rows::kind_name(updated.kind),
                &updated.status.as_str(),
                &updated.currency.alpha_code(),
                &origin_amount,
                &amount,
                &refunded_amount,
                &updated.capture_mode.as_str(),
                &capture_day,
                &updated.capture_date,
                &updated.last_operation.as_str(),
                &updated.last_operation_at,
                &details,
                &rows::order_id(updated),
            ],
        )
        .await
        .map_err(write_error)?;
    if changed != 1 {
        return Err(StoreError::Corrupt(format!("transaction {} vanished while locked", current.id.as_str())));
    }
    Ok(())
}

pub(super) async fn insert_key(client: &impl GenericClient, shop: &ShopId, key: &SecretKey) -> Result<(), StoreError> {
    let version = i32::try_from(key.version)
        .map_err(|_| StoreError::Corrupt(format!("key version {} out of range", key.version)))?;
    let statement = client
        .prepare_cached("INSERT INTO sips_keys (shop_id, key_version, secret) VALUES ($1, $2, $3)")
        .await
        .map_err(pg_error)?;
    client.execute(&statement, &[&shop.as_str(), &version, &key.secret]).await.map_err(write_error)?;
    Ok(())
}

pub(super) async fn shop(client: &impl GenericClient, id: &ShopId) -> Result<Option<Shop>, StoreError> {
    let statement = client
        .prepare_cached(
            "SELECT s.name, k.key_version, k.secret FROM shops s \
             LEFT JOIN sips_keys k ON k.shop_id = s.id WHERE s.id = $1 ORDER BY k.key_version",
        )
        .await
        .map_err(pg_error)?;
    let rows = client.query(&statement, &[&id.as_str()]).await.map_err(pg_error)?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let mut shop =
        Shop { id: id.clone(), name: get::<&str>(first, 0)?.to_owned(), keys: Vec::with_capacity(rows.len()) };
    for row in &rows {
        if let (Some(version), Some(secret)) = (get::<Option<i32>>(row, 1)?, get::<Option<&str>>(row, 2)?) {
            shop.keys.push(rows::secret_key(i64::from(version), secret)?);
        }
    }
    Ok(Some(shop))
}

pub(super) async fn list_shops(client: &impl GenericClient) -> Result<Vec<Shop>, StoreError> {
    let statement = client
        .prepare_cached(
            "SELECT s.id, s.name, k.key_version, k.secret FROM shops s \
             LEFT JOIN sips_keys k ON k.shop_id = s.id ORDER BY s.id, k.key_version",
        )
        .await
        .map_err(pg_error)?;
    let rows = client.query(&statement, &[]).await.map_err(pg_error)?;
    let mut shops: Vec<Shop> = Vec::new();
    for row in &rows {
        let id: &str = get(row, 0)?;
        if shops.last().is_none_or(|shop| shop.id.as_str() != id) {
            shops.push(Shop { id: ShopId(id.to_owned()), name: get::<&str>(row, 1)?.to_owned(), keys: Vec::new() });
        }
        if let (Some(version), Some(secret)) = (get::<Option<i32>>(row, 2)?, get::<Option<&str>>(row, 3)?)
            && let Some(shop) = shops.last_mut()
        {
            shop.keys.push(rows::secret_key(i64::from(version), secret)?);
        }
    }
    Ok(shops)
}

// --- Sogecommerce (Lyra) -------------------------------------------------------------------

pub(super) async fn lyra_credentials(
    client: &impl GenericClient,
    shop: &ShopId,
) -> Result<Option<LyraCredentials>, StoreError> {
    let statement = client
        .prepare_cached(
            "SELECT test_password, production_password, test_hmac_key, production_hmac_key \
             FROM lyra_credentials WHERE shop_id = $1",
        )
        .await
        .map_err(pg_error)?;
    let Some(row) = client.query_opt(&statement, &[&shop.as_str()]).await.map_err(pg_error)? else {
        return Ok(None);
    };
    Ok(Some(LyraCredentials {
        shop_id: shop.clone(),
        test_password: get(&row, 0)?,
        production_password: get(&row, 1)?,
        test_hmac_key: get(&row, 2)?,
        production_hmac_key: get(&row, 3)?,
    }))
}

pub(super) async fn set_lyra_credentials(
    client: &impl GenericClient,
    credentials: &LyraCredentials,
) -> Result<(), StoreError> {
    let statement = client
        .prepare_cached(
            "INSERT INTO lyra_credentials (shop_id, test_password, production_password, \
             test_hmac_key, production_hmac_key) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (shop_id) DO UPDATE SET test_password = excluded.test_password, \
             production_password = excluded.production_password, \
             test_hmac_key = excluded.test_hmac_key, \
             production_hmac_key = excluded.production_hmac_key, updated_at = now()",
        )
        .await
        .map_err(pg_error)?;
    client
        .execute(
            &statement,
            &[
                &credentials.shop_id.as_str(),
                &credentials.test_password,
                &credentials.production_password,
                &credentials.test_hmac_key,
                &credentials.production_hmac_key,
            ],
        )
        .await
        .map_err(write_error)?;
    Ok(())
}

pub(super) async fn transactions_by_order(
    client: &impl GenericClient,
    shop: &ShopId,
    order_id: &str,
) -> Result<Vec<Transaction>, StoreError> {
    let statement = client.prepare_cached(TRANSACTIONS_BY_ORDER).await.map_err(pg_error)?;
    let rows = client.query(&statement, &[&shop.as_str(), &order_id]).await.map_err(pg_error)?;
    rows.iter().map(|row| transaction_from_row(row).map(|(_, transaction)| transaction)).collect()
}

/// The token columns, in `token_from_row`'s order.
macro_rules! token_columns {
    () => {
        "id, shop_id, status, created_at, cancelled_at, details::text"
    };
}

pub(super) const TOKEN: &str = concat!("SELECT ", token_columns!(), " FROM tokens WHERE id = $1 AND shop_id = $2");
pub(super) const TOKEN_FOR_UPDATE: &str =
    concat!("SELECT ", token_columns!(), " FROM tokens WHERE id = $1 AND shop_id = $2 FOR UPDATE");

pub(super) fn token_from_row(row: &Row) -> Result<PaymentToken, StoreError> {
    TokenRow {
        id: get(row, 0)?,
        shop_id: get(row, 1)?,
        status: get(row, 2)?,
        created_at: get(row, 3)?,
        cancelled_at: get(row, 4)?,
        details: get(row, 5)?,
    }
    .decode()
}

pub(super) async fn insert_token(client: &impl GenericClient, token: &PaymentToken) -> Result<(), InsertError> {
    let details = rows::token_details_json(token)?;
    let statement = client
        .prepare_cached(
            "INSERT INTO tokens (id, shop_id, status, created_at, cancelled_at, details) \
             VALUES ($1, $2, $3, $4, $5, $6::text::jsonb)",
        )
        .await
        .map_err(pg_error)?;
    client
        .execute(
            &statement,
            &[
                &token.id,
                &token.shop_id.as_str(),
                &token.status.as_str(),
                &token.created_at,
                &token.cancelled_at,
                &details,
            ],
        )
        .await
        .map_err(|error| duplicate_on(error, "tokens_pkey"))?;
    Ok(())
}

/// A unique violation of `constraint` is the duplicate the caller is told about.
fn duplicate_on(error: tokio_postgres::Error, constraint: &str) -> InsertError {
    match error.as_db_error() {
        Some(db) if *db.code() == SqlState::UNIQUE_VIOLATION && db.constraint() == Some(constraint) => {
            InsertError::DuplicateReference
        }
        _ => InsertError::Store(write_error(error)),
    }
}

pub(super) async fn insert_card(
    client: &impl GenericClient,
    shop: &ShopId,
    card: &NewCard,
    sealed: &SealedPan,
    created_at: &chrono::DateTime<chrono::Utc>,
) -> Result<(), StoreError> {
    let statement = client
        .prepare_cached(
            "INSERT INTO cards (card_id, shop_id, nonce, ciphertext, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .await
        .map_err(pg_error)?;
    client
        .execute(
            &statement,
            &[&card.summary.card_id, &shop.as_str(), &sealed.nonce.as_slice(), &sealed.ciphertext, created_at],
        )
        .await
        .map_err(write_error)?;
    Ok(())
}

pub(super) async fn write_token(client: &impl GenericClient, token: &PaymentToken) -> Result<(), StoreError> {
    let details = rows::token_details_json(token)?;
    let statement = client
        .prepare_cached(
            "UPDATE tokens SET status = $3, created_at = $4, cancelled_at = $5, details = $6::text::jsonb \
             WHERE id = $1 AND shop_id = $2",
        )
        .await
        .map_err(pg_error)?;
    let changed = client
        .execute(
            &statement,
            &[
                &token.id,
                &token.shop_id.as_str(),
                &token.status.as_str(),
                &token.created_at,
                &token.cancelled_at,
                &details,
            ],
        )
        .await
        .map_err(write_error)?;
    if changed != 1 {
        return Err(StoreError::Corrupt(format!("token {} vanished while locked", token.id)));
    }
    Ok(())
}

pub(super) async fn insert_payment_form(client: &impl GenericClient, form: &PaymentForm) -> Result<(), StoreError> {
    let request = rows::form_request_json(form)?;
    let amount = rows::amount_column(form.amount)?;
    let statement = client
        .prepare_cached(
            "INSERT INTO payment_forms (form_token, shop_id, mode, purpose, amount, currency, \
             request, created_at, expires_at, consumed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7::text::jsonb, $8, $9, $10)",
        )
        .await
        .map_err(pg_error)?;
    client
        .execute(
            &statement,
            &[
                &form.form_token,
                &form.shop_id.as_str(),
                &form.mode.as_str(),
                &rows::purpose_name(form.purpose),
                &amount,
                &form.currency.alpha_code(),
                &request,
                &form.created_at,
                &form.expires_at,
                &form.consumed_at,
            ],
        )
        .await
        .map_err(write_error)?;
    Ok(())
}

pub(super) async fn payment_form(
    client: &impl GenericClient,
    form_token: &str,
) -> Result<Option<PaymentForm>, StoreError> {
    let statement = client
        .prepare_cached(
            "SELECT form_token, shop_id, mode, purpose, amount, currency, request::text, created_at, \
             expires_at, consumed_at FROM payment_forms WHERE form_token = $1",
        )
        .await
        .map_err(pg_error)?;
    let Some(row) = client.query_opt(&statement, &[&form_token]).await.map_err(pg_error)? else {
        return Ok(None);
    };
    PaymentFormRow {
        form_token: get(&row, 0)?,
        shop_id: get(&row, 1)?,
        mode: get(&row, 2)?,
        purpose: get(&row, 3)?,
        amount: get(&row, 4)?,
        currency: get(&row, 5)?,
        request: get(&row, 6)?,
        created_at: get(&row, 7)?,
        expires_at: get(&row, 8)?,
        consumed_at: get(&row, 9)?,
    }
    .decode()
    .map(Some)
}

/// The subscription columns, in `subscription_from_row`'s order.
macro_rules! subscription_columns {
    () => {
        "shop_id, id, token_id, status, next_due_at, created_at, details::text"
    };
}

pub(super) const SUBSCRIPTION: &str =
    concat!("SELECT ", subscription_columns!(), " FROM subscriptions WHERE shop_id = $1 AND id = $2");
pub(super) const SUBSCRIPTION_FOR_UPDATE: &str =
    concat!("SELECT ", subscription_columns!(), " FROM subscriptions WHERE shop_id = $1 AND id = $2 FOR UPDATE");
/// Oldest due first; the index `subscriptions_due` serves both the filter and the order.
pub(super) const DUE_SUBSCRIPTIONS: &str = concat!(
    "SELECT ",
    subscription_columns!(),
    " FROM subscriptions WHERE status = $1 AND next_due_at <= $2 \
     ORDER BY next_due_at, shop_id, id LIMIT $3"
);

pub(super) fn subscription_from_row(row: &Row) -> Result<Subscription, StoreError> {
    SubscriptionRow {
        shop_id: get(row, 0)?,
        id: get(row, 1)?,
        token_id: get(row, 2)?,
        status: get(row, 3)?,
        next_due_at: get(row, 4)?,
        created_at: get(row, 5)?,
        details: get(row, 6)?,
    }
    .decode()
}

pub(super) async fn insert_subscription(
    client: &impl GenericClient,
    subscription: &Subscription,
) -> Result<(), InsertError> {
    let details = rows::subscription_details_json(subscription)?;
    let statement = client
        .prepare_cached(
            "INSERT INTO subscriptions (shop_id, id, token_id, status, next_due_at, created_at, details) \
             VALUES ($1, $2, $3, $4, $5, $6, $7::text::jsonb)",
        )
        .await
        .map_err(pg_error)?;
    client
        .execute(
            &statement,
            &[
                &subscription.shop_id.as_str(),
                &subscription.id,
                &subscription.token_id,
                &rows::subscription_status_name(subscription.status),
                &subscription.next_due_at,
                &subscription.created_at,
                &details,
            ],
        )
        .await
        .map_err(|error| duplicate_on(error, "subscriptions_pkey"))?;
    Ok(())
}

pub(super) async fn write_subscription(
    client: &impl GenericClient,
    subscription: &Subscription,
) -> Result<(), StoreError> {
    let details = rows::subscription_details_json(subscription)?;
    let statement = client
        .prepare_cached(
            "UPDATE subscriptions SET token_id = $3, status = $4, next_due_at = $5, created_at = $6, \
             details = $7::text::jsonb WHERE shop_id = $1 AND id = $2",
        )
        .await
        .map_err(pg_error)?;
    let changed = client
        .execute(
            &statement,
            &[
                &subscription.shop_id.as_str(),
                &subscription.id,
                &subscription.token_id,
                &rows::subscription_status_name(subscription.status),
                &subscription.next_due_at,
                &subscription.created_at,
                &details,
            ],
        )
        .await
        .map_err(write_error)?;
    if changed != 1 {
        return Err(StoreError::Corrupt(format!("subscription {} vanished while locked", subscription.id)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_s10_formula_is_rows_s10_of() {
        let formula = format!("((row_id - 1) % {} + 1)", rows::S10_MODULUS);
        assert!(INSERT_TRANSACTION.contains(&formula));
        assert!(INSERT_TRANSACTION_WITH_CARD.contains(&formula));
    }
}
