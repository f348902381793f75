//! The notices of a change made after the payment, on PostgreSQL: read and written in the
//! database transaction of the change (`apply_noticed`, a chunk of the noticed capture batch),
//! so the change and its notices commit together or not at all.

use super::{form, notifications, payment_sessions};
use crate::later_notice_rows;
use caisse_core::ports::{LaterNotices, LaterSource, NoticeContext, StoreError};
use caisse_core::transaction::Transaction;
use deadpool_postgres::GenericClient;

/// Writes what `notices` owes for `transaction`, when a session paid it (or the parent of a
/// refund's credit).
pub(super) async fn write(
    client: &impl GenericClient,
    transaction: &Transaction,
    notices: &dyn LaterNotices,
    source: LaterSource,
) -> Result<(), StoreError> {
    // Most changes are of transactions no session paid (Sips, REST): one indexed probe each.
    let Some(session) = payment_sessions::paid_by(client, later_notice_rows::paid(transaction)).await? else {
        return Ok(());
    };
    let Some(rules) = notifications::rules_on(client, &session.shop_id).await? else {
        return Ok(());
    };
    if !later_notice_rows::wanted(&rules) {
        return Ok(());
    }
    let Some(settings) = form::settings_on(client, &session.shop_id).await? else {
        return Ok(());
    };
    let context = NoticeContext { rules, settings, session };
    for notice in later_notice_rows::made(notices, transaction, &context, source)? {
        notifications::insert_row(client, &notice).await?;
    }
    Ok(())
}
