//! Hosted payment page sessions on PostgreSQL. A payment locks its session row (`FOR
//! UPDATE`) in the database transaction that inserts it: of two payments of one session, the
//! second waits, then sees it paid and writes nothing.

use super::sql::{self, get};
use super::{PostgresStore, pg_error, write_error};
use crate::payment_session_rows::{SessionRow, payment_json};
use crate::rows;
use caisse_core::notification::Notification;
use caisse_core::operation::Operation;
use caisse_core::payment_session::PaymentSession;
use caisse_core::ports::{InsertError, NewCard, Owed, SessionPayError, StoreError};
use caisse_core::transaction::{Transaction, TransactionId};
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;

pub(super) async fn insert(store: &PostgresStore, session: &PaymentSession) -> Result<(), StoreError> {
    let payment = payment_json(session)?;
    let client = store.client().await?;
    let statement = client
        .prepare_cached(
            "INSERT INTO payment_sessions (id, shop_id, mode, payment, request, created_at, expires_at, status, \
             transaction_id, finished_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL)",
        )
        .await
        .map_err(pg_error)?;
    client
        .execute(
            &statement,
            &[
                &session.id,
                &session.shop_id.as_str(),
                &session.mode.as_str(),
                &payment,
                &session.request,
                &session.created_at,
                &session.expires_at,
                &session.status.as_str(),
            ],
        )
        .await
        .map_err(write_error)?;
    Ok(())
}

const SELECT: &str = "SELECT id, shop_id, mode, payment, request, created_at, expires_at, status, transaction_id \
                      FROM payment_sessions";

pub(super) async fn one(store: &PostgresStore, id: &str) -> Result<Option<PaymentSession>, StoreError> {
    let client = store.client().await?;
    let statement = client.prepare_cached(&format!("{SELECT} WHERE id = $1")).await.map_err(pg_error)?;
    let row = client.query_opt(&statement, &[&id]).await.map_err(pg_error)?;
    row.as_ref().map(decode).transpose()
}

/// The session that paid `transaction`, in this transaction (of a change).
pub(super) async fn paid_by(
    client: &impl GenericClient,
    transaction: &TransactionId,
) -> Result<Option<PaymentSession>, StoreError> {
    let statement = client.prepare_cached(&format!("{SELECT} WHERE transaction_id = $1")).await.map_err(pg_error)?;
    let row = client.query_opt(&statement, &[&transaction.as_str()]).await.map_err(pg_error)?;
    row.as_ref().map(decode).transpose()
}

/// Sessions paid by a transaction still waiting for its 3-D Secure authentication (the index
/// on transactions' status finds the few waiting ones).
const WAITING: &str = "SELECT s.id, s.shop_id, s.mode, s.payment, s.request, s.created_at, s.expires_at, s.status, \
                       s.transaction_id FROM transactions t JOIN payment_sessions s ON s.transaction_id = t.id \
                       WHERE t.status = 'TO_AUTHORIZE'";

pub(super) async fn expired(
    store: &PostgresStore,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<PaymentSession>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let client = store.client().await?;
    let statement = client
        .prepare_cached(&format!(
            "{SELECT} WHERE status = 'OPEN' AND expires_at <= $1 UNION ALL {WAITING} AND s.expires_at <= $1 \
             ORDER BY expires_at LIMIT $2"
        ))
        .await
        .map_err(pg_error)?;
    let rows = client.query(&statement, &[&now, &limit]).await.map_err(pg_error)?;
    rows.iter().map(decode).collect()
}

fn decode(row: &tokio_postgres::Row) -> Result<PaymentSession, StoreError> {
    SessionRow {
        id: get(row, 0)?,
        shop_id: get(row, 1)?,
        mode: get(row, 2)?,
        payment: get(row, 3)?,
        request: get(row, 4)?,
        created_at: get(row, 5)?,
        expires_at: get(row, 6)?,
        status: get(row, 7)?,
        transaction_id: get(row, 8)?,
    }
    .decode()
}

pub(super) async fn abandon(
    store: &PostgresStore,
    id: &str,
    at: DateTime<Utc>,
    notifications: Vec<Notification>,
) -> Result<bool, StoreError> {
    let mut client = store.client().await?;
    let writing = client.transaction().await.map_err(pg_error)?;
    let changed = writing
        .execute(
            "UPDATE payment_sessions SET status = 'ABANDONED', finished_at = $2 WHERE id = $1 AND status = 'OPEN'",
            &[&id, &at],
        )
        .await
        .map_err(pg_error)?;
    if changed != 1 {
        return Ok(false);
    }
    for notification in &notifications {
        super::notifications::insert_row(&writing, notification).await?;
    }
    // Dropping `writing` on an early return rolls back the session's change too.
    writing.commit().await.map_err(pg_error)?;
    Ok(true)
}

pub(super) async fn pay(
    store: &PostgresStore,
    session_id: &str,
    transaction: Transaction,
    operation: Operation,
    card: Option<NewCard>,
    owed: Owed,
) -> Result<Transaction, SessionPayError> {
    let insert = |error: StoreError| SessionPayError::Insert(InsertError::Store(error));
    let details = rows::details_json(&transaction).map_err(insert)?;
    let (mut transaction, operation) = rows::checked_new(transaction, operation).map_err(insert)?;
    let sealed = card.as_ref().map(|card| store.vault.seal_card(card)).transpose().map_err(insert)?;
    let mut client = store.client().await.map_err(insert)?;
    let writing = client.transaction().await.map_err(|error| insert(pg_error(error)))?;
    let status: Option<String> = writing
        .query_opt("SELECT status FROM payment_sessions WHERE id = $1 FOR UPDATE", &[&session_id])
        .await
        .map_err(|error| insert(pg_error(error)))?
        .map(|row| get::<String>(&row, 0))
        .transpose()
        .map_err(insert)?;
    if status.as_deref() != Some("OPEN") {
        return Err(SessionPayError::NotOpen);
    }
    let card = card.as_ref().zip(sealed.as_ref());
    let s10 = sql::insert_transaction(&writing, &transaction, &operation, &details, card).await?;
    transaction.s10_transaction_id =
        u32::try_from(s10).map_err(|_| insert(StoreError::Corrupt(format!("s10_transaction_id {s10}"))))?;
    super::write_owed(&writing, owed).await?;
    writing
        .execute(
            "UPDATE payment_sessions SET status = 'PAID', transaction_id = $2, finished_at = $3 WHERE id = $1",
            &[&session_id, &transaction.id.as_str(), &transaction.created_at],
        )
        .await
        .map_err(|error| insert(pg_error(error)))?;
    // Dropping `writing` on any early return rolls everything back, the session included.
    writing.commit().await.map_err(|error| insert(pg_error(error)))?;
    Ok(transaction)
}
