//! The notices of a change made after the payment, on SQLite: read and written on the
//! writer's connection, in the savepoint of the change (`Job::Apply`, `Job::Settle`), so the
//! change and its notices commit together or not at all.

use super::sql_error;
use crate::later_notice_rows;
use crate::payment_session_rows::SessionRow;
use crate::{notification_rows, rows};
use caisse_core::ShopId;
use caisse_core::form_settings::FormSettings;
use caisse_core::notification::NotificationRules;
use caisse_core::payment_session::PaymentSession;
use caisse_core::ports::{LaterNotices, LaterSource, NoticeContext, StoreError};
use caisse_core::transaction::{Transaction, TransactionId};
use rusqlite::{Connection, OptionalExtension, params};
use std::sync::Arc;

/// A writer job's notices: who makes them, and what made the change.
pub(in crate::sqlite) type Noticing = (Arc<dyn LaterNotices>, LaterSource);

/// Writes what `notices` owes for `transaction`, when a session paid it (or the parent of a
/// refund's credit).
pub(in crate::sqlite) fn write(
    connection: &Connection,
    transaction: &Transaction,
    notices: &dyn LaterNotices,
    source: LaterSource,
) -> Result<(), StoreError> {
    // Most changes are of transactions no session paid (Sips, REST): one indexed probe each.
    let Some(session) = session_of(connection, later_notice_rows::paid(transaction))? else {
        return Ok(());
    };
    let Some(rules) = rules(connection, &session.shop_id)? else {
        return Ok(());
    };
    if !later_notice_rows::wanted(&rules) {
        return Ok(());
    }
    let Some(settings) = settings(connection, &session.shop_id)? else {
        return Ok(());
    };
    let context = NoticeContext { rules, settings, session };
    for notice in later_notice_rows::made(notices, transaction, &context, source)? {
        let body = notification_rows::body_json(&notice.body)?;
        super::notifications::insert_row(connection, &notice, &body)?;
    }
    Ok(())
}

fn session_of(connection: &Connection, paid: &TransactionId) -> Result<Option<PaymentSession>, StoreError> {
    let row = connection
        .prepare_cached(
            "SELECT id, shop_id, mode, payment, request, created_at, expires_at, status, transaction_id \
             FROM payment_sessions WHERE transaction_id = ?1",
        )
        .and_then(|mut statement| {
            statement
                .query_row(params![paid.as_str()], |row| {
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
    let Some((id, shop_id, mode, payment, request, created_at, expires_at, status, transaction_id)) = row else {
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
}

/// The shop's rules as `Store::notification_rules` reads them, on this connection.
fn rules(connection: &Connection, shop: &ShopId) -> Result<Option<NotificationRules>, StoreError> {
    let mut statement = connection
        .prepare_cached(
            "SELECT r.shop_id, r.end_of_payment, r.cancel_or_abandon, r.later_operations, r.replay, \
             r.test_url, r.production_url, r.failure_emails \
             FROM shops s LEFT JOIN notification_rules r ON r.shop_id = s.id WHERE s.id = ?1",
        )
        .map_err(sql_error)?;
    let mut found = statement.query(params![shop.as_str()]).map_err(sql_error)?;
    let Some(row) = found.next().map_err(sql_error)? else {
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

/// The shop's form settings as `Store::form_settings` reads them, on this connection.
fn settings(connection: &Connection, shop: &ShopId) -> Result<Option<FormSettings>, StoreError> {
    let mut statement = connection
        .prepare_cached(
            "SELECT f.shop_id, f.test_key, f.production_key, f.algorithm, f.warning_emails \
             FROM shops s LEFT JOIN form_settings f ON f.shop_id = s.id WHERE s.id = ?1",
        )
        .map_err(sql_error)?;
    let mut found = statement.query(params![shop.as_str()]).map_err(sql_error)?;
    let Some(row) = found.next().map_err(sql_error)? else {
        return Ok(None);
    };
    if row.get::<_, Option<String>>(0).map_err(sql_error)?.is_none() {
        return Ok(Some(FormSettings::unset(shop.clone())));
    }
    let algorithm: String = row.get(3).map_err(sql_error)?;
    let emails: String = row.get(4).map_err(sql_error)?;
    super::form::decode(
        shop.clone(),
        row.get(1).map_err(sql_error)?,
        row.get(2).map_err(sql_error)?,
        &algorithm,
        &emails,
    )
    .map(Some)
}
