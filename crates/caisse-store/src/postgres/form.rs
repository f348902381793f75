//! Form API settings and `vads_trans_id` reservations on PostgreSQL. A reservation is one
//! insert: the unique index on (shop, day, lower(id)) makes a concurrent second insert of the
//! same key wait for the first and then do nothing, so exactly one wins.

use super::sql::get;
use super::{PostgresStore, pg_error, write_error};
use crate::notification_rows::emails_text;
use caisse_core::ShopId;
use caisse_core::form_settings::{FormSettings, FormTransIdKey, Reservation};
use caisse_core::ports::StoreError;
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;

pub(super) async fn settings(store: &PostgresStore, shop: &ShopId) -> Result<Option<FormSettings>, StoreError> {
    settings_on(&store.client().await?, shop).await
}

/// The shop's form settings on this client: a pooled connection, or the transaction of a change.
pub(super) async fn settings_on(
    client: &impl GenericClient,
    shop: &ShopId,
) -> Result<Option<FormSettings>, StoreError> {
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

pub(super) async fn set_settings(store: &PostgresStore, settings: &FormSettings) -> Result<(), StoreError> {
    let client = store.client().await?;
    let statement = client
        .prepare_cached(
            "INSERT INTO form_settings (shop_id, test_key, production_key, algorithm, warning_emails, updated_at) \
             VALUES ($1, $2, $3, $4, $5, now()) ON CONFLICT (shop_id) DO UPDATE SET \
             test_key = excluded.test_key, production_key = excluded.production_key, \
             algorithm = excluded.algorithm, warning_emails = excluded.warning_emails, \
             updated_at = excluded.updated_at",
        )
        .await
        .map_err(pg_error)?;
    client
        .execute(
            &statement,
            &[
                &settings.shop_id.as_str(),
                &settings.test_key,
                &settings.production_key,
                &settings.algorithm.as_str(),
                &emails_text(&settings.warning_emails),
            ],
        )
        .await
        .map_err(write_error)?;
    Ok(())
}

pub(super) async fn reserve(
    store: &PostgresStore,
    key: &FormTransIdKey,
    at: DateTime<Utc>,
) -> Result<Reservation, StoreError> {
    let client = store.client().await?;
    let statement = client
        .prepare_cached(
            "INSERT INTO form_trans_ids (shop_id, utc_day, trans_id, reserved_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT DO NOTHING",
        )
        .await
        .map_err(pg_error)?;
    let inserted = client
        .execute(&statement, &[&key.shop_id.as_str(), &key.day, &key.trans_id(), &at])
        .await
        .map_err(write_error)?;
    Ok(if inserted == 1 { Reservation::Reserved } else { Reservation::AlreadyUsed })
}
