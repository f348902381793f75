//! Form API settings and `vads_trans_id` reservations on SQLite. A reservation is one insert
//! on the writer: the unique index on (shop, day, lower(id)) decides, so of two forms with one
//! id exactly one gets it.

use super::{SqliteStore, sql_error};
use crate::notification_rows::emails_text;
use crate::rows;
use caisse_core::ShopId;
use caisse_core::form_settings::{FormSettings, FormSignatureAlgorithm, FormTransIdKey, Reservation};
use caisse_core::ports::StoreError;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, ErrorCode, params};

pub(super) async fn settings(store: &SqliteStore, shop: &ShopId) -> Result<Option<FormSettings>, StoreError> {
    let shop = shop.clone();
    store.readers.run(move |connection| settings_on(connection, &shop)).await
}

/// The shop's form settings on this connection: a reader's, or the writer's inside a change.
pub(super) fn settings_on(connection: &Connection, shop: &ShopId) -> Result<Option<FormSettings>, StoreError> {
    let mut statement = connection
        .prepare_cached(
            "SELECT f.shop_id, f.test_key, f.production_key, f.algorithm, f.warning_emails \
             FROM shops s LEFT JOIN form_settings f ON f.shop_id = s.id WHERE s.id = ?1",
        )
        .map_err(sql_error)?;
    let mut rows = statement.query(params![shop.as_str()]).map_err(sql_error)?;
    let Some(row) = rows.next().map_err(sql_error)? else {
        return Ok(None);
    };
    if row.get::<_, Option<String>>(0).map_err(sql_error)?.is_none() {
        return Ok(Some(FormSettings::unset(shop.clone())));
    }
    let algorithm: String = row.get(3).map_err(sql_error)?;
    let emails: String = row.get(4).map_err(sql_error)?;
    decode(shop.clone(), row.get(1).map_err(sql_error)?, row.get(2).map_err(sql_error)?, &algorithm, &emails).map(Some)
}

pub(crate) fn decode(
    shop_id: ShopId,
    test_key: Option<String>,
    production_key: Option<String>,
    algorithm: &str,
    emails: &str,
) -> Result<FormSettings, StoreError> {
    let algorithm = FormSignatureAlgorithm::parse(algorithm)
        .ok_or_else(|| StoreError::Corrupt(format!("form settings of {shop_id}: algorithm {algorithm:?}")))?;
    Ok(FormSettings {
        shop_id,
        test_key,
        production_key,
        algorithm,
        warning_emails: emails.split(';').filter(|email| !email.is_empty()).map(str::to_owned).collect(),
    })
}

pub(super) async fn set_settings(store: &SqliteStore, settings: &FormSettings) -> Result<(), StoreError> {
    let settings = settings.clone();
    store
        .writer
        .write(move |connection| {
            connection
                .prepare_cached(
                    "INSERT INTO form_settings (shop_id, test_key, production_key, algorithm, warning_emails, \
                     updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (shop_id) DO UPDATE SET \
                     test_key = excluded.test_key, production_key = excluded.production_key, \
                     algorithm = excluded.algorithm, warning_emails = excluded.warning_emails, \
                     updated_at = excluded.updated_at",
                )
                .and_then(|mut statement| {
                    statement.execute(params![
                        settings.shop_id.as_str(),
                        settings.test_key,
                        settings.production_key,
                        settings.algorithm.as_str(),
                        emails_text(&settings.warning_emails),
                        rows::timestamp_text(Utc::now()),
                    ])
                })
                .map(|_| ())
                .map_err(write_error)
        })
        .await
}

pub(super) async fn reserve(
    store: &SqliteStore,
    key: &FormTransIdKey,
    at: DateTime<Utc>,
) -> Result<Reservation, StoreError> {
    let key = key.clone();
    store
        .writer
        .write(move |connection| {
            connection
                .prepare_cached(
                    "INSERT INTO form_trans_ids (shop_id, utc_day, trans_id, reserved_at) VALUES (?1, ?2, ?3, ?4) \
                     ON CONFLICT DO NOTHING",
                )
                .and_then(|mut statement| {
                    statement.execute(params![
                        key.shop_id.as_str(),
                        rows::date_text(key.day),
                        key.trans_id(),
                        rows::timestamp_text(at),
                    ])
                })
                .map(|inserted| if inserted == 1 { Reservation::Reserved } else { Reservation::AlreadyUsed })
                .map_err(write_error)
        })
        .await
}

/// An unknown shop (foreign key) is `NotFound`.
fn write_error(error: rusqlite::Error) -> StoreError {
    match &error {
        rusqlite::Error::SqliteFailure(failure, _)
            if failure.code == ErrorCode::ConstraintViolation
                && failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY =>
        {
            StoreError::NotFound
        }
        _ => sql_error(error),
    }
}
