//! The notices of a change made after the payment, on SQLite: read and written on the
//! writer's connection, in the savepoint of the change (`Job::Apply`, `Job::Settle`), so the
//! change and its notices commit together or not at all.

use super::{form, notifications, payment_sessions};
use crate::{later_notice_rows, notification_rows};
use caisse_core::ports::{LaterNotices, LaterSource, NoticeContext, StoreError};
use caisse_core::transaction::Transaction;
use rusqlite::Connection;
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
    let Some(session) = payment_sessions::paid_by(connection, later_notice_rows::paid(transaction))? else {
        return Ok(());
    };
    let Some(rules) = notifications::rules_on(connection, &session.shop_id)? else {
        return Ok(());
    };
    if !later_notice_rows::wanted(&rules) {
        return Ok(());
    }
    let Some(settings) = form::settings_on(connection, &session.shop_id)? else {
        return Ok(());
    };
    let context = NoticeContext { rules, settings, session };
    for notice in later_notice_rows::made(notices, transaction, &context, source)? {
        let body = notification_rows::body_json(&notice.body)?;
        notifications::insert_row(connection, &notice, &body)?;
    }
    Ok(())
}
