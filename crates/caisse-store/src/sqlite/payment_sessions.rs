//! Hosted payment page sessions on SQLite. Every change is a job of the one writer; a payment
//! checks and marks its session in the savepoint that inserts it, so a session pays once.

use super::writer::notifications::{NotificationRow as NewRow, PayingSession};
use super::{SqliteStore, sql_error};
use crate::payment_session_rows::{NOT_OPEN, SessionRow, payment_json};
use crate::rows;
use caisse_core::notification::Notification;
use caisse_core::operation::Operation;
use caisse_core::payment_session::PaymentSession;
use caisse_core::ports::{InsertError, NewCard, Owed, SessionPayError, StoreError};
use caisse_core::transaction::{Transaction, TransactionId};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, ErrorCode, OptionalExtension, params};

pub(super) async fn insert(store: &SqliteStore, session: &PaymentSession) -> Result<(), StoreError> {
    let payment = payment_json(session)?;
    let session = session.clone();
    store
        .writer
        .write(move |connection| {
            connection
                .prepare_cached(
                    "INSERT INTO payment_sessions (id, shop_id, mode, payment, request, created_at, expires_at, \
                     status, transaction_id, finished_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL, NULL)",
                )
                .and_then(|mut statement| {
                    statement.execute(params![
                        session.id,
                        session.shop_id.as_str(),
                        session.mode.as_str(),
                        payment,
                        session.request,
                        rows::timestamp_text(session.created_at),
                        rows::timestamp_text(session.expires_at),
                        session.status.as_str(),
                    ])
                })
                .map(|_| ())
                .map_err(write_error)
        })
        .await
}

const SELECT: &str = "SELECT id, shop_id, mode, payment, request, created_at, expires_at, status, transaction_id \
                      FROM payment_sessions";

pub(super) async fn one(store: &SqliteStore, id: &str) -> Result<Option<PaymentSession>, StoreError> {
    let id = id.to_owned();
    store
        .readers
        .run(move |connection| {
            let row = connection
                .prepare_cached(&format!("{SELECT} WHERE id = ?1"))
                .and_then(|mut statement| statement.query_row(params![id], session_row).optional())
                .map_err(sql_error)?;
            row.map(decode).transpose()
        })
        .await
}

/// The session that paid `transaction`, on this connection (the writer's, inside a change).
pub(super) fn paid_by(
    connection: &Connection,
    transaction: &TransactionId,
) -> Result<Option<PaymentSession>, StoreError> {
    let row = connection
        .prepare_cached(&format!("{SELECT} WHERE transaction_id = ?1"))
        .and_then(|mut statement| statement.query_row(params![transaction.as_str()], session_row).optional())
        .map_err(sql_error)?;
    row.map(decode).transpose()
}

/// Sessions paid by a transaction still waiting for its 3-D Secure authentication (the index
/// on transactions' status finds the few waiting ones).
const WAITING: &str = "SELECT s.id, s.shop_id, s.mode, s.payment, s.request, s.created_at, s.expires_at, s.status, \
                       s.transaction_id FROM transactions t JOIN payment_sessions s ON s.transaction_id = t.id \
                       WHERE t.status = 'TO_AUTHORIZE'";

pub(super) async fn expired(
    store: &SqliteStore,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<PaymentSession>, StoreError> {
    let now = rows::timestamp_text(now);
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    store
        .readers
        .run(move |connection| {
            let rows = connection
                .prepare_cached(&format!(
                    "{SELECT} WHERE status = 'OPEN' AND expires_at <= ?1 UNION ALL {WAITING} AND s.expires_at <= ?1 \
                     ORDER BY expires_at LIMIT ?2"
                ))
                .and_then(|mut statement| {
                    statement.query_map(params![now, limit], session_row)?.collect::<Result<Vec<_>, _>>()
                })
                .map_err(sql_error)?;
            rows.into_iter().map(decode).collect()
        })
        .await
}

type RawSession = (String, String, String, String, String, String, String, String, Option<String>);

fn session_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawSession> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
    ))
}

fn decode(
    (id, shop_id, mode, payment, request, created_at, expires_at, status, transaction_id): RawSession,
) -> Result<PaymentSession, StoreError> {
    SessionRow {
        id,
        shop_id,
        mode,
        payment,
        request,
        created_at: rows::parse_timestamp(&created_at)?,
        expires_at: rows::parse_timestamp(&expires_at)?,
        status,
        transaction_id,
    }
    .decode()
}

pub(super) async fn abandon(
    store: &SqliteStore,
    id: &str,
    at: DateTime<Utc>,
    notifications: Vec<Notification>,
) -> Result<bool, StoreError> {
    let id = id.to_owned();
    let notifications = NewRow::all(&notifications)?;
    store
        .writer
        .write(move |connection| {
            let changed = connection
                .prepare_cached(
                    "UPDATE payment_sessions SET status = 'ABANDONED', finished_at = ?2 \
                     WHERE id = ?1 AND status = 'OPEN'",
                )
                .and_then(|mut statement| statement.execute(params![id, rows::timestamp_text(at)]))
                .map_err(sql_error)?;
            if changed != 1 {
                return Ok(false);
            }
            // In the write's savepoint: the session and its notifications, or neither.
            for row in &notifications {
                row.insert(connection)?;
            }
            Ok(true)
        })
        .await
}

pub(super) async fn pay(
    store: &SqliteStore,
    session_id: &str,
    transaction: Transaction,
    operation: Operation,
    card: Option<NewCard>,
    owed: Owed,
) -> Result<Transaction, SessionPayError> {
    let Owed { notifications, token } = owed;
    let details = rows::details_json(&transaction).map_err(InsertError::from)?;
    let token = match token {
        Some(token) => {
            let token = rows::as_stored_token(token);
            let details = rows::token_details_json(&token).map_err(InsertError::from)?;
            Some((token, details))
        }
        None => None,
    };
    let finished_at = rows::timestamp_text(transaction.created_at);
    let card = store.seal_any(card).map_err(InsertError::from)?;
    let notifications = NewRow::all(&notifications).map_err(InsertError::from)?;
    let session = PayingSession { id: session_id.to_owned(), finished_at, token };
    let paying =
        store.writer.insert_with_notifications(transaction, operation, card, details, notifications, Some(session));
    match paying.await {
        Err(InsertError::Store(StoreError::Corrupt(message))) if message == NOT_OPEN => Err(SessionPayError::NotOpen),
        other => other.map_err(SessionPayError::Insert),
    }
}

/// In the payment's savepoint: the session must be open, else the savepoint rolls back.
pub(in crate::sqlite) fn check_open(connection: &Connection, id: &str) -> Result<(), StoreError> {
    let status: Option<String> = connection
        .prepare_cached("SELECT status FROM payment_sessions WHERE id = ?1")
        .and_then(|mut statement| statement.query_row(params![id], |row| row.get(0)).optional())
        .map_err(sql_error)?;
    match status.as_deref() {
        Some("OPEN") => Ok(()),
        _ => Err(StoreError::Corrupt(NOT_OPEN.to_owned())),
    }
}

pub(in crate::sqlite) fn mark_paid(
    connection: &Connection,
    id: &str,
    transaction_id: &str,
    finished_at: &str,
) -> Result<(), StoreError> {
    let changed = connection
        .prepare_cached(
            "UPDATE payment_sessions SET status = 'PAID', transaction_id = ?2, finished_at = ?3 \
             WHERE id = ?1 AND status = 'OPEN'",
        )
        .and_then(|mut statement| statement.execute(params![id, transaction_id, finished_at]))
        .map_err(sql_error)?;
    if changed == 1 { Ok(()) } else { Err(StoreError::Corrupt(NOT_OPEN.to_owned())) }
}

/// An unknown shop (foreign key) is `NotFound`; a taken id `AlreadyExists`.
fn write_error(error: rusqlite::Error) -> StoreError {
    match &error {
        rusqlite::Error::SqliteFailure(failure, _) if failure.code == ErrorCode::ConstraintViolation => {
            if failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY {
                StoreError::NotFound
            } else {
                StoreError::AlreadyExists
            }
        }
        _ => sql_error(error),
    }
}
