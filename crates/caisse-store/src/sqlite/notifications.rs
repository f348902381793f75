//! Notifications on SQLite. Every write, claims included, is a job of the one writer, so two
//! claims never see the same due row (and several processes on one file queue on SQLite's
//! write lock); reads run on the pool.

use super::writer::notifications::NotificationRow as NewRow;
use super::{SqliteStore, sql_error};
use crate::notification_rows::{self, COLUMNS, NotificationRow};
use crate::rows;
use caisse_core::notification::{Notification, NotificationRules};
use caisse_core::operation::Operation;
use caisse_core::ports::{InsertError, NewCard, StoreError};
use caisse_core::shop::ShopId;
use caisse_core::transaction::Transaction;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, ErrorCode, Row, params};

pub(super) async fn insert(store: &SqliteStore, notification: &Notification) -> Result<(), StoreError> {
    let notification = notification_rows::as_stored(notification);
    let body = notification_rows::body_json(&notification.body)?;
    store.writer.write(move |connection| insert_row(connection, &notification, &body)).await
}

pub(super) async fn insert_with_transaction(
    store: &SqliteStore,
    transaction: Transaction,
    operation: Operation,
    card: Option<NewCard>,
    notifications: Vec<Notification>,
) -> Result<Transaction, InsertError> {
    let details = rows::details_json(&transaction)?;
    let card = store.seal_any(card)?;
    let notifications = NewRow::all(&notifications)?;
    store.writer.insert_with_notifications(transaction, operation, card, details, notifications, None).await
}

/// Writes a new outbox row in the caller's database transaction.
pub(super) fn insert_row(connection: &Connection, notification: &Notification, body: &str) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "INSERT INTO notifications (id, shop_id, mode, rule, url, body, transaction_id, reference, status, \
             attempts, replays, manual, next_attempt_at, last_http_status, last_error, created_at, delivered_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                notification.id,
                notification.shop_id.as_str(),
                notification.mode.as_str(),
                notification.rule.as_str(),
                notification.url,
                body,
                notification.transaction_id.as_ref().map(|id| id.as_str()),
                notification.reference,
                notification.status.as_str(),
                notification_rows::count(notification.attempts),
                notification_rows::count(notification.replays),
                notification.manual,
                notification.next_attempt_at.map(rows::timestamp_text),
                notification.last_http_status,
                notification.last_error,
                rows::timestamp_text(notification.created_at),
                notification.delivered_at.map(rows::timestamp_text),
            ])
        })
        .map(|_| ())
        .map_err(write_error)
}

pub(super) async fn claim_due(
    store: &SqliteStore,
    now: DateTime<Utc>,
    limit: usize,
    lease: chrono::Duration,
) -> Result<Vec<Notification>, StoreError> {
    let now_text = rows::timestamp_text(now);
    let until = rows::timestamp_text(now + lease);
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    // A read first: the notifier polls every second, and an idle poll should cost the writer
    // (and the disk) nothing. `'PENDING'` is written out, not bound: the partial index of due
    // notifications serves only a query that names its condition.
    let probe = now_text.clone();
    let any_due = store
        .readers
        .run(move |connection| {
            connection
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM notifications WHERE status = 'PENDING' AND next_attempt_at <= ?1 \
                     AND (lease_until IS NULL OR lease_until <= ?1))",
                )
                .and_then(|mut statement| statement.query_row(params![probe], |row| row.get::<_, bool>(0)))
                .map_err(sql_error)
        })
        .await?;
    if !any_due {
        return Ok(Vec::new());
    }
    let mut claimed = store
        .writer
        .write(move |connection| {
            let sql = format!(
                "UPDATE notifications SET lease_until = ?2 WHERE id IN (SELECT id FROM notifications \
                 WHERE status = 'PENDING' AND next_attempt_at <= ?1 AND (lease_until IS NULL OR lease_until <= ?1) \
                 ORDER BY next_attempt_at, id LIMIT ?3) RETURNING {COLUMNS}"
            );
            let mut statement = connection.prepare_cached(&sql).map_err(sql_error)?;
            let mut rows = statement.query(params![now_text, until, limit]).map_err(sql_error)?;
            let mut claimed = Vec::new();
            while let Some(row) = rows.next().map_err(sql_error)? {
                claimed.push(from_row(row)?);
            }
            Ok::<_, StoreError>(claimed)
        })
        .await?;
    claimed.sort_by(|a, b| (a.next_attempt_at, &a.id).cmp(&(b.next_attempt_at, &b.id)));
    Ok(claimed)
}

pub(super) async fn record(store: &SqliteStore, notification: &Notification) -> Result<(), StoreError> {
    let notification = notification_rows::as_stored(notification);
    store
        .writer
        .write(move |connection| {
            let changed = connection
                .prepare_cached(
                    "UPDATE notifications SET url = ?2, status = ?3, attempts = ?4, replays = ?5, manual = ?6, \
                     next_attempt_at = ?7, last_http_status = ?8, last_error = ?9, delivered_at = ?10, \
                     lease_until = NULL WHERE id = ?1",
                )
                .and_then(|mut statement| {
                    statement.execute(params![
                        notification.id,
                        notification.url,
                        notification.status.as_str(),
                        notification_rows::count(notification.attempts),
                        notification_rows::count(notification.replays),
                        notification.manual,
                        notification.next_attempt_at.map(rows::timestamp_text),
                        notification.last_http_status,
                        notification.last_error,
                        notification.delivered_at.map(rows::timestamp_text),
                    ])
                })
                .map_err(write_error)?;
            if changed == 1 { Ok(()) } else { Err(StoreError::NotFound) }
        })
        .await
}

pub(super) async fn one(store: &SqliteStore, id: &str) -> Result<Option<Notification>, StoreError> {
    let id = id.to_owned();
    store
        .readers
        .run(move |connection| {
            let sql = format!("SELECT {COLUMNS} FROM notifications WHERE id = ?1");
            let mut statement = connection.prepare_cached(&sql).map_err(sql_error)?;
            let mut rows = statement.query(params![id]).map_err(sql_error)?;
            match rows.next().map_err(sql_error)? {
                Some(row) => from_row(row).map(Some),
                None => Ok(None),
            }
        })
        .await
}

pub(super) async fn list(
    store: &SqliteStore,
    shop: Option<&ShopId>,
    limit: usize,
) -> Result<Vec<Notification>, StoreError> {
    let shop = shop.map(|shop| shop.as_str().to_owned());
    let limit = i64::try_from(limit.min(notification_rows::LIST_MAX)).unwrap_or(i64::MAX);
    store
        .readers
        .run(move |connection| {
            // Ids are time-ordered: newest first is id order, backwards.
            let sql = format!(
                "SELECT {COLUMNS} FROM notifications WHERE (?1 IS NULL OR shop_id = ?1) ORDER BY id DESC LIMIT ?2"
            );
            let mut statement = connection.prepare_cached(&sql).map_err(sql_error)?;
            let mut rows = statement.query(params![shop, limit]).map_err(sql_error)?;
            let mut found = Vec::new();
            while let Some(row) = rows.next().map_err(sql_error)? {
                found.push(from_row(row)?);
            }
            Ok(found)
        })
        .await
}

pub(super) async fn rules(store: &SqliteStore, shop: &ShopId) -> Result<Option<NotificationRules>, StoreError> {
    let shop = shop.clone();
    store.readers.run(move |connection| rules_on(connection, &shop)).await
}

/// The shop's rules on this connection: a reader's, or the writer's inside a change.
pub(super) fn rules_on(connection: &Connection, shop: &ShopId) -> Result<Option<NotificationRules>, StoreError> {
    let mut statement = connection
        .prepare_cached(
            "SELECT r.shop_id, r.end_of_payment, r.cancel_or_abandon, r.later_operations, r.replay, \
             r.test_url, r.production_url, r.failure_emails \
             FROM shops s LEFT JOIN notification_rules r ON r.shop_id = s.id WHERE s.id = ?1",
        )
        .map_err(sql_error)?;
    let mut rows = statement.query(params![shop.as_str()]).map_err(sql_error)?;
    let Some(row) = rows.next().map_err(sql_error)? else {
        return Ok(None);
    };
    if row.get::<_, Option<String>>(0).map_err(sql_error)?.is_none() {
        return Ok(Some(NotificationRules::off(shop.clone())));
    }
    let flag = |index: usize| row.get::<_, i64>(index).map(|value| value != 0).map_err(sql_error);
    let emails: String = row.get(7).map_err(sql_error)?;
    Ok(Some(notification_rows::rules(
        shop,
        flag(1)?,
        flag(2)?,
        flag(3)?,
        flag(4)?,
        row.get(5).map_err(sql_error)?,
        row.get(6).map_err(sql_error)?,
        &emails,
    )))
}

pub(super) async fn set_rules(store: &SqliteStore, rules: &NotificationRules) -> Result<(), StoreError> {
    let rules = rules.clone();
    store
        .writer
        .write(move |connection| {
            connection
                .prepare_cached(
                    "INSERT INTO notification_rules (shop_id, end_of_payment, cancel_or_abandon, later_operations, \
                     replay, test_url, production_url, failure_emails, updated_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (shop_id) DO UPDATE SET \
                     end_of_payment = excluded.end_of_payment, cancel_or_abandon = excluded.cancel_or_abandon, \
                     later_operations = excluded.later_operations, replay = excluded.replay, \
                     test_url = excluded.test_url, production_url = excluded.production_url, \
                     failure_emails = excluded.failure_emails, updated_at = excluded.updated_at",
                )
                .and_then(|mut statement| {
                    statement.execute(params![
                        rules.shop_id.as_str(),
                        rules.end_of_payment,
                        rules.cancel_or_abandon,
                        rules.later_operations,
                        rules.replay,
                        rules.test_url,
                        rules.production_url,
                        notification_rows::emails_text(&rules.failure_emails),
                        rows::timestamp_text(Utc::now()),
                    ])
                })
                .map(|_| ())
                .map_err(write_error)
        })
        .await
}

fn optional_time(row: &Row<'_>, index: usize) -> Result<Option<DateTime<Utc>>, StoreError> {
    row.get::<_, Option<String>>(index).map_err(sql_error)?.as_deref().map(rows::parse_timestamp).transpose()
}

/// A row of `COLUMNS`.
fn from_row(row: &Row<'_>) -> Result<Notification, StoreError> {
    let get_text = |index: usize| row.get::<_, String>(index).map_err(sql_error);
    let created_at: String = get_text(15)?;
    NotificationRow {
        id: get_text(0)?,
        shop_id: get_text(1)?,
        mode: get_text(2)?,
        rule: get_text(3)?,
        url: get_text(4)?,
        body: get_text(5)?,
        transaction_id: row.get(6).map_err(sql_error)?,
        reference: row.get(7).map_err(sql_error)?,
        status: get_text(8)?,
        attempts: row.get(9).map_err(sql_error)?,
        replays: row.get(10).map_err(sql_error)?,
        manual: row.get::<_, i64>(11).map_err(sql_error)? != 0,
        next_attempt_at: optional_time(row, 12)?,
        last_http_status: row.get(13).map_err(sql_error)?,
        last_error: row.get(14).map_err(sql_error)?,
        created_at: rows::parse_timestamp(&created_at)?,
        delivered_at: optional_time(row, 16)?,
    }
    .decode()
}

/// A failed write: a missing shop is `NotFound`, a clashing id `AlreadyExists`.
fn write_error(error: rusqlite::Error) -> StoreError {
    let code = match &error {
        rusqlite::Error::SqliteFailure(failure, _) if failure.code == ErrorCode::ConstraintViolation => {
            Some(failure.extended_code)
        }
        _ => None,
    };
    match code {
        Some(rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY) => StoreError::NotFound,
        Some(rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY | rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE) => {
            StoreError::AlreadyExists
        }
        _ => sql_error(error),
    }
}
