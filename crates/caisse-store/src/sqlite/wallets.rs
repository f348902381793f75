//! Wallets on SQLite: each change is one job of the writer (so one database transaction, and
//! serialised with every other write); reads run on the pool, each in one statement.

use super::read::{integer, text};
use super::writer::SealedCard;
use super::writer::extension::insert_card;
use super::{SqliteStore, sql_error};
use crate::rows;
use crate::wallet_rows::{self, MeanRow};
use caisse_core::ShopId;
use caisse_core::ports::{InsertError, StoreError};
use caisse_core::wallet::{NewWalletMean, Wallet, WalletPaymentMean};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, ErrorCode, Row, params};

type WalletData = (Wallet, Vec<WalletPaymentMean>);

pub(super) async fn add(store: &SqliteStore, mean: NewWalletMean) -> Result<(Wallet, WalletPaymentMean), InsertError> {
    // Hashed, encrypted and serialised here, on the caller's thread, to keep the writer lean.
    let mean = wallet_rows::as_stored(mean);
    let fingerprint = wallet_rows::fingerprint(&store.vault, &mean);
    let card = wallet_rows::sealed_card(&store.vault, &mean)?.map(|(card_id, sealed)| SealedCard { card_id, sealed });
    let details = wallet_rows::method_json(&mean.method)?;
    store.writer.write(move |connection| add_in(connection, &mean, &fingerprint, &details, card)).await
}

fn add_in(
    connection: &Connection,
    mean: &NewWalletMean,
    fingerprint: &str,
    details: &str,
    card: Option<SealedCard>,
) -> Result<(Wallet, WalletPaymentMean), InsertError> {
    let at = rows::timestamp_text(mean.at);
    let shop = mean.shop_id.as_str();
    // Finds or creates the wallet and takes its next rank in one statement.
    let (rank, created_at): (i64, String) = connection
        .prepare_cached(
            "INSERT INTO wallets (shop_id, merchant_wallet_id, created_at, last_action_at, next_payment_mean_id) \
             VALUES (?1, ?2, ?3, ?3, 2) \
             ON CONFLICT (shop_id, merchant_wallet_id) DO UPDATE SET \
             next_payment_mean_id = next_payment_mean_id + 1, last_action_at = excluded.last_action_at \
             RETURNING next_payment_mean_id - 1, created_at",
        )
        .and_then(|mut statement| {
            statement.query_row(params![shop, mean.merchant_wallet_id, at], |row| Ok((row.get(0)?, row.get(1)?)))
        })
        .map_err(write_error)?;
    let rank = wallet_rows::rank_of(rank)?;
    connection
        .prepare_cached(
            "INSERT INTO wallet_payment_means (shop_id, merchant_wallet_id, payment_mean_id, fingerprint, alias, \
             created_at, details) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                shop,
                mean.merchant_wallet_id,
                wallet_rows::rank_column(rank),
                fingerprint,
                mean.alias,
                at,
                details
            ])
        })
        .map_err(|error| {
            if is_constraint(&error, rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE) {
                InsertError::DuplicateReference
            } else {
                write_error(error).into()
            }
        })?;
    if let Some(card) = card {
        insert_card(connection, &mean.shop_id, &card, &at)?;
    }
    let created_at = rows::parse_timestamp(&created_at)?;
    let wallet = wallet_rows::wallet(&mean.shop_id, &mean.merchant_wallet_id, created_at, mean.at);
    Ok((wallet, wallet_rows::new_mean(mean, rank)))
}

pub(super) async fn wallet(
    store: &SqliteStore,
    shop: &ShopId,
    merchant_wallet_id: &str,
) -> Result<Option<WalletData>, StoreError> {
    let shop = shop.clone();
    let wallet_id = merchant_wallet_id.to_owned();
    store.readers.run(move |connection| read_wallet(connection, &shop, &wallet_id)).await
}

/// The wallet and its means in one statement, so in one snapshot.
fn read_wallet(connection: &Connection, shop: &ShopId, wallet_id: &str) -> Result<Option<WalletData>, StoreError> {
    let mut statement = connection
        .prepare_cached(
            "SELECT w.created_at, w.last_action_at, m.payment_mean_id, m.alias, m.created_at, m.details \
             FROM wallets w LEFT JOIN wallet_payment_means m \
             ON m.shop_id = w.shop_id AND m.merchant_wallet_id = w.merchant_wallet_id \
             WHERE w.shop_id = ?1 AND w.merchant_wallet_id = ?2 ORDER BY m.payment_mean_id",
        )
        .map_err(sql_error)?;
    let mut rows = statement.query(params![shop.as_str(), wallet_id]).map_err(sql_error)?;
    let mut found: Option<WalletData> = None;
    while let Some(row) = rows.next().map_err(sql_error)? {
        let (_, means) = match &mut found {
            Some(data) => data,
            None => {
                let created_at = rows::parse_timestamp(text(row, 0)?)?;
                let last_action_at = rows::parse_timestamp(text(row, 1)?)?;
                found.insert((wallet_rows::wallet(shop, wallet_id, created_at, last_action_at), Vec::new()))
            }
        };
        if row.get_ref(2).map_err(sql_error)?.as_i64_or_null().map_err(sql_error_of)?.is_some() {
            means.push(mean_from_row(row, 2)?);
        }
    }
    Ok(found)
}

/// A mean's columns from `first`: payment_mean_id, alias, created_at, details.
fn mean_from_row(row: &Row<'_>, first: usize) -> Result<WalletPaymentMean, StoreError> {
    MeanRow {
        payment_mean_id: integer(row, first)?,
        alias: row.get(first + 1).map_err(sql_error)?,
        created_at: rows::parse_timestamp(text(row, first + 2)?)?,
        details: text(row, first + 3)?,
    }
    .decode()
}

pub(super) async fn payment_mean(
    store: &SqliteStore,
    shop: &ShopId,
    merchant_wallet_id: &str,
    payment_mean_id: u32,
) -> Result<Option<WalletPaymentMean>, StoreError> {
    let shop = shop.clone();
    let wallet_id = merchant_wallet_id.to_owned();
    store.readers.run(move |connection| read_mean(connection, &shop, &wallet_id, payment_mean_id)).await
}

fn read_mean(
    connection: &Connection,
    shop: &ShopId,
    wallet_id: &str,
    payment_mean_id: u32,
) -> Result<Option<WalletPaymentMean>, StoreError> {
    let mut statement = connection
        .prepare_cached(
            "SELECT payment_mean_id, alias, created_at, details FROM wallet_payment_means \
             WHERE shop_id = ?1 AND merchant_wallet_id = ?2 AND payment_mean_id = ?3",
        )
        .map_err(sql_error)?;
    let mut rows = statement
        .query(params![shop.as_str(), wallet_id, wallet_rows::rank_column(payment_mean_id)])
        .map_err(sql_error)?;
    match rows.next().map_err(sql_error)? {
        Some(row) => mean_from_row(row, 0).map(Some),
        None => Ok(None),
    }
}

pub(super) async fn update_mean(
    store: &SqliteStore,
    shop: &ShopId,
    merchant_wallet_id: &str,
    payment_mean_id: u32,
    alias: Option<String>,
    at: DateTime<Utc>,
) -> Result<Option<WalletPaymentMean>, StoreError> {
    let shop = shop.clone();
    let wallet_id = merchant_wallet_id.to_owned();
    store
        .writer
        .write(move |connection| {
            let changed = connection
                .prepare_cached(
                    "UPDATE wallet_payment_means SET alias = ?4 \
                     WHERE shop_id = ?1 AND merchant_wallet_id = ?2 AND payment_mean_id = ?3",
                )
                .and_then(|mut statement| {
                    statement.execute(params![
                        shop.as_str(),
                        wallet_id,
                        wallet_rows::rank_column(payment_mean_id),
                        alias
                    ])
                })
                .map_err(write_error)?;
            if changed == 0 {
                return Ok(None);
            }
            touch(connection, &shop, &wallet_id, at)?;
            read_mean(connection, &shop, &wallet_id, payment_mean_id)
        })
        .await
}

pub(super) async fn delete_mean(
    store: &SqliteStore,
    shop: &ShopId,
    merchant_wallet_id: &str,
    payment_mean_id: u32,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let shop = shop.clone();
    let wallet_id = merchant_wallet_id.to_owned();
    store
        .writer
        .write(move |connection| {
            let deleted = connection
                .prepare_cached(
                    "DELETE FROM wallet_payment_means \
                     WHERE shop_id = ?1 AND merchant_wallet_id = ?2 AND payment_mean_id = ?3",
                )
                .and_then(|mut statement| {
                    statement.execute(params![shop.as_str(), wallet_id, wallet_rows::rank_column(payment_mean_id)])
                })
                .map_err(write_error)?;
            if deleted == 0 {
                return Ok(false);
            }
            touch(connection, &shop, &wallet_id, at)?;
            Ok(true)
        })
        .await
}

pub(super) async fn delete_wallet(
    store: &SqliteStore,
    shop: &ShopId,
    merchant_wallet_id: &str,
) -> Result<bool, StoreError> {
    let shop = shop.clone();
    let wallet_id = merchant_wallet_id.to_owned();
    store
        .writer
        .write(move |connection| {
            // Its means go with it (ON DELETE CASCADE).
            let deleted = connection
                .prepare_cached("DELETE FROM wallets WHERE shop_id = ?1 AND merchant_wallet_id = ?2")
                .and_then(|mut statement| statement.execute(params![shop.as_str(), wallet_id]))
                .map_err(write_error)?;
            Ok(deleted == 1)
        })
        .await
}

/// The wallet's last action is now.
fn touch(connection: &Connection, shop: &ShopId, wallet_id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
    let at = rows::timestamp_text(rows::stored_instant(at));
    connection
        .prepare_cached("UPDATE wallets SET last_action_at = ?3 WHERE shop_id = ?1 AND merchant_wallet_id = ?2")
        .and_then(|mut statement| statement.execute(params![shop.as_str(), wallet_id, at]))
        .map(|_| ())
        .map_err(write_error)
}

fn is_constraint(error: &rusqlite::Error, extended_code: i32) -> bool {
    matches!(error, rusqlite::Error::SqliteFailure(failure, _)
        if failure.code == ErrorCode::ConstraintViolation && failure.extended_code == extended_code)
}

/// A failed write: a missing shop is `NotFound`.
fn write_error(error: rusqlite::Error) -> StoreError {
    if is_constraint(&error, rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY) {
        StoreError::NotFound
    } else {
        sql_error(error)
    }
}

fn sql_error_of(error: rusqlite::types::FromSqlError) -> StoreError {
    StoreError::Corrupt(format!("sqlite value: {error}"))
}
