//! Hosted payment page sessions on SQLite. Every change is a job of the one writer; a payment
//! checks and marks its session in the savepoint that inserts it, so a session pays once.

use super::writer::SealedCard;
use super::writer::notifications::NotificationRow as NewRow;
use super::{SqliteStore, sql_error};
use crate::payment_session_rows::{NOT_OPEN, SessionRow, payment_json};
use crate::{notification_rows, rows};
use caisse_core::notification::Notification;
use caisse_core::operation::Operation;
use caisse_core::payment_session::PaymentSession;
use caisse_core::ports::{InsertError, NewCard, SessionPayError, StoreError};
use caisse_core::transaction::Transaction;
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

pub(super) async fn one(store: &SqliteStore, id: &str) -> Result<Option<PaymentSession>, StoreError> {
    let id = id.to_owned();
    store
        .readers
        .run(move |connection| {
            let row = connection
                .prepare_cached(
                    "SELECT id, shop_id, mode, payment, request, created_at, expires_at, status, transaction_id \
                     FROM payment_sessions WHERE id = ?1",
                )
                .and_then(|mut statement| {
                    statement
                        .query_row(params![id], |row| {
                            Ok((
                                row.get::<_, String>(0)?,
                                row.get::<_, String>(1)?,
                                row.get::<_, String>(2)?,
                                row.get::<_, String>(3)?,
                                row.get::<_, String>(4)?,
                                row.get::<_, String>(5)?,
                                row.get::<_, String>(6)?,
                                row.get::<_, String>(7)?,
                                row.get::<_, Option<String>>(8)?,
                            ))
                        })
                        .optional()
                })
                .map_err(sql_error)?;
            let Some((id, shop_id, mode, payment, request, created_at, expires_at, status, transaction_id)) = row
            else {
                return Ok(None);
            };
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
            .map(Some)
        })
        .await
}

pub(super) async fn abandon(store: &SqliteStore, id: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
    let id = id.to_owned();
    store
        .writer
        .write(move |connection| {
            connection
                .prepare_cached(
                    "UPDATE payment_sessions SET status = 'ABANDONED', finished_at = ?2 \
                     WHERE id = ?1 AND status = 'OPEN'",
                )
                .and_then(|mut statement| statement.execute(params![id, rows::timestamp_text(at)]))
                .map(|changed| changed == 1)
                .map_err(sql_error)
        })
        .await
}

pub(super) async fn pay(
    store: &SqliteStore,
    session_id: &str,
    transaction: Transaction,
    operation: Operation,
    card: Option<NewCard>,
    notifications: Vec<Notification>,
) -> Result<Transaction, SessionPayError> {
    let details = rows::details_json(&transaction).map_err(InsertError::from)?;
    let finished_at = rows::timestamp_text(transaction.created_at);
    let card = match card {
        Some(card) => {
            let sealed = store.vault.seal(&card.summary.card_id, &card.pan).map_err(InsertError::from)?;
            Some(SealedCard { card_id: card.summary.card_id, sealed })
        }
        None => None,
    };
    let notifications = notifications
        .iter()
        .map(|notification| {
            let notification = notification_rows::as_stored(notification);
            let body = notification_rows::body_json(&notification.body)?;
            Ok(NewRow { notification, body })
        })
        .collect::<Result<Vec<_>, StoreError>>()
        .map_err(InsertError::from)?;
    let session = (session_id.to_owned(), finished_at);
    match store.writer.insert_paying_session(transaction, operation, card, details, notifications, session).await {
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
