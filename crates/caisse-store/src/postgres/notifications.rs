//! Notifications on PostgreSQL. A claim is one statement: `FOR UPDATE SKIP LOCKED` keeps two
//! processes claiming at once off each other's rows, and the lease it sets keeps them off the
//! claimed rows afterwards, until the attempt is recorded or the lease ends (its sender died).

use super::sql::{self, get};
use super::{PostgresStore, pg_error, write_error};
use crate::notification_rows::{self, COLUMNS, NotificationRow};
use crate::rows;
use caisse_core::notification::{Notification, NotificationRules};
use caisse_core::operation::Operation;
use caisse_core::ports::{InsertError, NewCard, StoreError};
use caisse_core::shop::ShopId;
use caisse_core::transaction::Transaction;
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

const INSERT: &str = "INSERT INTO notifications (id, shop_id, mode, rule, url, body, transaction_id, reference, \
     status, attempts, replays, manual, next_attempt_at, last_http_status, last_error, created_at, delivered_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)";

pub(super) async fn insert(store: &PostgresStore, notification: &Notification) -> Result<(), StoreError> {
    let client = store.client().await?;
    insert_row(&client, notification).await
}

pub(super) async fn insert_with_transaction(
    store: &PostgresStore,
    transaction: Transaction,
    operation: Operation,
    card: Option<NewCard>,
    notifications: Vec<Notification>,
) -> Result<Transaction, InsertError> {
    let details = rows::details_json(&transaction)?;
    let (mut transaction, operation) = rows::checked_new(transaction, operation)?;
    let sealed = card.as_ref().map(|card| store.vault.seal_card(card)).transpose()?;
    let mut client = store.client().await?;
    let writing = client.transaction().await.map_err(pg_error)?;
    let card = card.as_ref().zip(sealed.as_ref());
    let s10 = sql::insert_transaction(&writing, &transaction, &operation, &details, card).await?;
    transaction.s10_transaction_id =
        u32::try_from(s10).map_err(|_| StoreError::Corrupt(format!("s10_transaction_id {s10}")))?;
    for notification in &notifications {
        insert_row(&writing, notification).await?;
    }
    // Dropping `writing` on any early return rolls the payment back with its notifications.
    writing.commit().await.map_err(pg_error)?;
    Ok(transaction)
}

pub(super) async fn insert_row(client: &impl GenericClient, notification: &Notification) -> Result<(), StoreError> {
    let notification = notification_rows::as_stored(notification);
    let body = notification_rows::body_json(&notification.body)?;
    let statement = client.prepare_cached(INSERT).await.map_err(pg_error)?;
    client
        .execute(
            &statement,
            &[
                &notification.id,
                &notification.shop_id.as_str(),
                &notification.mode.as_str(),
                &notification.rule.as_str(),
                &notification.url,
                &body,
                &notification.transaction_id.as_ref().map(|id| id.as_str()),
                &notification.reference,
                &notification.status.as_str(),
                &count(notification.attempts)?,
                &count(notification.replays)?,
                &notification.manual,
                &notification.next_attempt_at,
                &notification.last_http_status.map(i32::from),
                &notification.last_error,
                &notification.created_at,
                &notification.delivered_at,
            ],
        )
        .await
        .map_err(write_error)?;
    Ok(())
}

fn count(value: u32) -> Result<i32, StoreError> {
    i32::try_from(value).map_err(|_| StoreError::Corrupt(format!("notification count {value}")))
}

pub(super) async fn claim_due(
    store: &PostgresStore,
    now: DateTime<Utc>,
    limit: usize,
    lease: chrono::Duration,
) -> Result<Vec<Notification>, StoreError> {
    let client = store.client().await?;
    let sql = format!(
        "UPDATE notifications SET lease_until = $2 WHERE id IN (SELECT id FROM notifications \
         WHERE status = 'PENDING' AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until <= $1) \
         ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING {COLUMNS}"
    );
    // `'PENDING'` is written out, not bound: the partial index of due notifications serves only
    // a plan that knows the condition (a generic plan of a prepared statement does not).
    let statement = client.prepare_cached(&sql).await.map_err(pg_error)?;
    let now = rows::stored_instant(now);
    let until = rows::stored_instant(now + lease);
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = client.query(&statement, &[&now, &until, &limit]).await.map_err(pg_error)?;
    let mut claimed = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    claimed.sort_by(|a, b| (a.next_attempt_at, &a.id).cmp(&(b.next_attempt_at, &b.id)));
    Ok(claimed)
}

pub(super) async fn record(store: &PostgresStore, notification: &Notification) -> Result<(), StoreError> {
    let notification = notification_rows::as_stored(notification);
    let client = store.client().await?;
    let statement = client
        .prepare_cached(
            "UPDATE notifications SET url = $2, status = $3, attempts = $4, replays = $5, manual = $6, \
             next_attempt_at = $7, last_http_status = $8, last_error = $9, delivered_at = $10, \
             lease_until = NULL WHERE id = $1",
        )
        .await
        .map_err(pg_error)?;
    let changed = client
        .execute(
            &statement,
            &[
                &notification.id,
                &notification.url,
                &notification.status.as_str(),
                &count(notification.attempts)?,
                &count(notification.replays)?,
                &notification.manual,
                &notification.next_attempt_at,
                &notification.last_http_status.map(i32::from),
                &notification.last_error,
                &notification.delivered_at,
            ],
        )
        .await
        .map_err(write_error)?;
    if changed == 1 { Ok(()) } else { Err(StoreError::NotFound) }
}

pub(super) async fn one(store: &PostgresStore, id: &str) -> Result<Option<Notification>, StoreError> {
    let client = store.client().await?;
    let statement =
        client.prepare_cached(&format!("SELECT {COLUMNS} FROM notifications WHERE id = $1")).await.map_err(pg_error)?;
    let row = client.query_opt(&statement, &[&id]).await.map_err(pg_error)?;
    row.as_ref().map(from_row).transpose()
}

pub(super) async fn list(
    store: &PostgresStore,
    shop: Option<&ShopId>,
    limit: usize,
) -> Result<Vec<Notification>, StoreError> {
    let client = store.client().await?;
    // Ids are time-ordered: newest first is id order, backwards.
    let sql = format!(
        "SELECT {COLUMNS} FROM notifications WHERE ($1::TEXT IS NULL OR shop_id = $1) ORDER BY id DESC LIMIT $2"
    );
    let statement = client.prepare_cached(&sql).await.map_err(pg_error)?;
    let shop = shop.map(ShopId::as_str);
    let limit = i64::try_from(limit.min(notification_rows::LIST_MAX)).unwrap_or(i64::MAX);
    let rows = client.query(&statement, &[&shop, &limit]).await.map_err(pg_error)?;
    rows.iter().map(from_row).collect()
}

pub(super) async fn rules(store: &PostgresStore, shop: &ShopId) -> Result<Option<NotificationRules>, StoreError> {
    rules_on(&store.client().await?, shop).await
}

/// The shop's rules on this client: a pooled connection, or the transaction of a change.
pub(super) async fn rules_on(
    client: &impl GenericClient,
    shop: &ShopId,
) -> Result<Option<NotificationRules>, StoreError> {
    let statement = client
        .prepare_cached(
            "SELECT r.shop_id, r.end_of_payment, r.cancel_or_abandon, r.later_operations, r.replay, \
             r.test_url, r.production_url, r.failure_emails \
             FROM shops s LEFT JOIN notification_rules r ON r.shop_id = s.id WHERE s.id = $1",
        )
        .await
        .map_err(pg_error)?;
    let Some(row) = client.query_opt(&statement, &[&shop.as_str()]).await.map_err(pg_error)? else {
        return Ok(None);
    };
    if get::<Option<&str>>(&row, 0)?.is_none() {
        return Ok(Some(NotificationRules::off(shop.clone())));
    }
    let emails: &str = get(&row, 7)?;
    Ok(Some(notification_rows::rules(
        shop,
        get(&row, 1)?,
        get(&row, 2)?,
        get(&row, 3)?,
        get(&row, 4)?,
        get(&row, 5)?,
        get(&row, 6)?,
        emails,
    )))
}

pub(super) async fn set_rules(store: &PostgresStore, rules: &NotificationRules) -> Result<(), StoreError> {
    let client = store.client().await?;
    let statement = client
        .prepare_cached(
            "INSERT INTO notification_rules (shop_id, end_of_payment, cancel_or_abandon, later_operations, \
             replay, test_url, production_url, failure_emails, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now()) ON CONFLICT (shop_id) DO UPDATE SET \
             end_of_payment = excluded.end_of_payment, cancel_or_abandon = excluded.cancel_or_abandon, \
             later_operations = excluded.later_operations, replay = excluded.replay, \
             test_url = excluded.test_url, production_url = excluded.production_url, \
             failure_emails = excluded.failure_emails, updated_at = excluded.updated_at",
        )
        .await
        .map_err(pg_error)?;
    client
        .execute(
            &statement,
            &[
                &rules.shop_id.as_str(),
                &rules.end_of_payment,
                &rules.cancel_or_abandon,
                &rules.later_operations,
                &rules.replay,
                &rules.test_url,
                &rules.production_url,
                &notification_rows::emails_text(&rules.failure_emails),
            ],
        )
        .await
        .map_err(write_error)?;
    Ok(())
}

/// A row of `COLUMNS`.
fn from_row(row: &Row) -> Result<Notification, StoreError> {
    NotificationRow {
        id: get(row, 0)?,
        shop_id: get(row, 1)?,
        mode: get(row, 2)?,
        rule: get(row, 3)?,
        url: get(row, 4)?,
        body: get(row, 5)?,
        transaction_id: get(row, 6)?,
        reference: get(row, 7)?,
        status: get(row, 8)?,
        attempts: i64::from(get::<i32>(row, 9)?),
        replays: i64::from(get::<i32>(row, 10)?),
        manual: get(row, 11)?,
        next_attempt_at: get(row, 12)?,
        last_http_status: get::<Option<i32>>(row, 13)?.map(i64::from),
        last_error: get(row, 14)?,
        created_at: get(row, 15)?,
        delivered_at: get(row, 16)?,
    }
    .decode()
}
