//! The notices of a change made after the payment, on PostgreSQL: read and written in the
//! database transaction of the change (`apply_noticed`, a chunk of the noticed capture batch),
//! so the change and its notices commit together or not at all.

use super::sql::get;
use super::{notifications, pg_error};
use crate::later_notice_rows;
use crate::payment_session_rows::SessionRow;
use caisse_core::ShopId;
use caisse_core::form_settings::FormSettings;
use caisse_core::notification::NotificationRules;
use caisse_core::payment_session::PaymentSession;
use caisse_core::ports::{LaterNotices, LaterSource, NoticeContext, StoreError};
use caisse_core::transaction::{Transaction, TransactionId};
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
    let Some(session) = session_of(client, later_notice_rows::paid(transaction)).await? else {
        return Ok(());
    };
    let Some(rules) = rules(client, &session.shop_id).await? else {
        return Ok(());
    };
    if !later_notice_rows::wanted(&rules) {
        return Ok(());
    }
    let Some(settings) = settings(client, &session.shop_id).await? else {
        return Ok(());
    };
    let context = NoticeContext { rules, settings, session };
    for notice in later_notice_rows::made(notices, transaction, &context, source)? {
        notifications::insert_row(client, &notice).await?;
    }
    Ok(())
}

async fn session_of(client: &impl GenericClient, paid: &TransactionId) -> Result<Option<PaymentSession>, StoreError> {
    let statement = client
        .prepare_cached(
            "SELECT id, shop_id, mode, payment, request, created_at, expires_at, status, transaction_id \
             FROM payment_sessions WHERE transaction_id = $1",
        )
        .await
        .map_err(pg_error)?;
    let Some(row) = client.query_opt(&statement, &[&paid.as_str()]).await.map_err(pg_error)? else {
        return Ok(None);
    };
    SessionRow {
        id: get(&row, 0)?,
        shop_id: get(&row, 1)?,
        mode: get(&row, 2)?,
        payment: get(&row, 3)?,
        request: get(&row, 4)?,
        created_at: get(&row, 5)?,
        expires_at: get(&row, 6)?,
        status: get(&row, 7)?,
        transaction_id: get(&row, 8)?,
    }
    .decode()
    .map(Some)
}

/// The shop's rules as `Store::notification_rules` reads them, in this transaction.
async fn rules(client: &impl GenericClient, shop: &ShopId) -> Result<Option<NotificationRules>, StoreError> {
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
    Ok(Some(crate::notification_rows::rules(
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

/// The shop's form settings as `Store::form_settings` reads them, in this transaction.
async fn settings(client: &impl GenericClient, shop: &ShopId) -> Result<Option<FormSettings>, StoreError> {
    let statement = client
        .prepare_cached(
            "SELECT f.shop_id, f.test_key, f.production_key, f.algorithm, f.warning_emails \
             FROM shops s LEFT JOIN form_settings f ON f.shop_id = s.id WHERE s.id = $1",
        )
        .await
        .map_err(pg_error)?;
    let Some(row) = client.query_opt(&statement, &[&shop.as_str()]).await.map_err(pg_error)? else {
        return Ok(None);
    };
    if get::<Option<&str>>(&row, 0)?.is_none() {
        return Ok(Some(FormSettings::unset(shop.clone())));
    }
    let algorithm: &str = get(&row, 3)?;
    let emails: &str = get(&row, 4)?;
    crate::sqlite::form_decode(shop.clone(), get(&row, 1)?, get(&row, 2)?, algorithm, emails).map(Some)
}
