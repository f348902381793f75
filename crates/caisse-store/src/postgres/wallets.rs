//! Wallets on PostgreSQL. Adding a mean locks its wallet's row (the upsert that takes the
//! next rank), so two processes adding to one wallet take turns; the unique index on the
//! fingerprint refuses the same card twice even then.

use super::sql::{self, get};
use super::{PostgresStore, pg_error, write_error};
use crate::rows;
use crate::wallet_rows::{self, MeanRow};
use caisse_core::ShopId;
use caisse_core::ports::{InsertError, StoreError};
use caisse_core::wallet::{NewWalletMean, Wallet, WalletPaymentMean, WalletSecret};
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;

type WalletData = (Wallet, Vec<WalletPaymentMean>);

const FINGERPRINT_INDEX: &str = "wallet_payment_means_fingerprint";

pub(super) async fn add(
    store: &PostgresStore,
    mean: NewWalletMean,
) -> Result<(Wallet, WalletPaymentMean), InsertError> {
    let mean = wallet_rows::as_stored(mean);
    let fingerprint = wallet_rows::fingerprint(&store.vault, &mean);
    let sealed = wallet_rows::sealed_card(&store.vault, &mean)?;
    let details = wallet_rows::method_json(&mean.method)?;
    let mut client = store.client().await?;
    let writing = client.transaction().await.map_err(pg_error)?;
    // Finds or creates the wallet and takes its next rank in one statement, which locks the
    // wallet's row until the commit. Dropping `writing` on an early return rolls back.
    let statement = writing
        .prepare_cached(
            "INSERT INTO wallets (shop_id, merchant_wallet_id, created_at, last_action_at, next_payment_mean_id) \
             VALUES ($1, $2, $3, $3, 2) \
             ON CONFLICT (shop_id, merchant_wallet_id) DO UPDATE SET \
             next_payment_mean_id = wallets.next_payment_mean_id + 1, last_action_at = EXCLUDED.last_action_at \
             RETURNING next_payment_mean_id - 1, created_at",
        )
        .await
        .map_err(pg_error)?;
    let row = writing
        .query_one(&statement, &[&mean.shop_id.as_str(), &mean.merchant_wallet_id, &mean.at])
        .await
        .map_err(write_error)?;
    let rank = wallet_rows::rank_of(i64::from(get::<i32>(&row, 0)?))?;
    let created_at: DateTime<Utc> = get(&row, 1)?;
    let statement = writing
        .prepare_cached(
            "INSERT INTO wallet_payment_means (shop_id, merchant_wallet_id, payment_mean_id, fingerprint, alias, \
             created_at, details) VALUES ($1, $2, $3, $4, $5, $6, $7::text::jsonb)",
        )
        .await
        .map_err(pg_error)?;
    let rank_column = i32::try_from(rank).map_err(|_| StoreError::Corrupt(format!("payment_mean_id {rank}")))?;
    writing
        .execute(
            &statement,
            &[
                &mean.shop_id.as_str(),
                &mean.merchant_wallet_id,
                &rank_column,
                &fingerprint,
                &mean.alias,
                &mean.at,
                &details,
            ],
        )
        .await
        .map_err(|error| match error.as_db_error() {
            Some(db) if *db.code() == SqlState::UNIQUE_VIOLATION && db.constraint() == Some(FINGERPRINT_INDEX) => {
                InsertError::DuplicateReference
            }
            _ => InsertError::Store(write_error(error)),
        })?;
    if let (WalletSecret::Card(card), Some((_, sealed))) = (&mean.secret, &sealed) {
        sql::insert_card(&writing, &mean.shop_id, card, sealed, &mean.at).await?;
    }
    writing.commit().await.map_err(pg_error)?;
    let wallet = wallet_rows::wallet(&mean.shop_id, &mean.merchant_wallet_id, created_at, mean.at);
    Ok((wallet, wallet_rows::new_mean(&mean, rank)))
}

pub(super) async fn wallet(
    store: &PostgresStore,
    shop: &ShopId,
    merchant_wallet_id: &str,
) -> Result<Option<WalletData>, StoreError> {
    let client = store.client().await?;
    // One statement, one snapshot: never a wallet without the means it had.
    let statement = client
        .prepare_cached(
            "SELECT w.created_at, w.last_action_at, m.payment_mean_id, m.alias, m.created_at, m.details::text \
             FROM wallets w LEFT JOIN wallet_payment_means m \
             ON m.shop_id = w.shop_id AND m.merchant_wallet_id = w.merchant_wallet_id \
             WHERE w.shop_id = $1 AND w.merchant_wallet_id = $2 ORDER BY m.payment_mean_id",
        )
        .await
        .map_err(pg_error)?;
    let rows = client.query(&statement, &[&shop.as_str(), &merchant_wallet_id]).await.map_err(pg_error)?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let wallet = wallet_rows::wallet(shop, merchant_wallet_id, get(first, 0)?, get(first, 1)?);
    let mut means = Vec::with_capacity(rows.len());
    for row in &rows {
        if get::<Option<i32>>(row, 2)?.is_some() {
            means.push(mean_from_row(row, 2)?);
        }
    }
    Ok(Some((wallet, means)))
}

/// A mean's columns from `first`: payment_mean_id, alias, created_at, details.
fn mean_from_row(row: &Row, first: usize) -> Result<WalletPaymentMean, StoreError> {
    MeanRow {
        payment_mean_id: i64::from(get::<i32>(row, first)?),
        alias: get(row, first + 1)?,
        created_at: get(row, first + 2)?,
        details: get(row, first + 3)?,
    }
    .decode()
}

const MEAN: &str = "SELECT payment_mean_id, alias, created_at, details::text FROM wallet_payment_means \
                    WHERE shop_id = $1 AND merchant_wallet_id = $2 AND payment_mean_id = $3";

fn rank_param(payment_mean_id: u32) -> Option<i32> {
    // A rank beyond the column's range names no mean.
    i32::try_from(payment_mean_id).ok()
}

pub(super) async fn payment_mean(
    store: &PostgresStore,
    shop: &ShopId,
    merchant_wallet_id: &str,
    payment_mean_id: u32,
) -> Result<Option<WalletPaymentMean>, StoreError> {
    let Some(rank) = rank_param(payment_mean_id) else {
        return Ok(None);
    };
    let client = store.client().await?;
    let statement = client.prepare_cached(MEAN).await.map_err(pg_error)?;
    let row = client.query_opt(&statement, &[&shop.as_str(), &merchant_wallet_id, &rank]).await.map_err(pg_error)?;
    row.as_ref().map(|row| mean_from_row(row, 0)).transpose()
}

pub(super) async fn update_mean(
    store: &PostgresStore,
    shop: &ShopId,
    merchant_wallet_id: &str,
    payment_mean_id: u32,
    alias: Option<String>,
    at: DateTime<Utc>,
) -> Result<Option<WalletPaymentMean>, StoreError> {
    let Some(rank) = rank_param(payment_mean_id) else {
        return Ok(None);
    };
    let mut client = store.client().await?;
    let writing = client.transaction().await.map_err(pg_error)?;
    let statement = writing
        .prepare_cached(
            "UPDATE wallet_payment_means SET alias = $4 \
             WHERE shop_id = $1 AND merchant_wallet_id = $2 AND payment_mean_id = $3 \
             RETURNING payment_mean_id, alias, created_at, details::text",
        )
        .await
        .map_err(pg_error)?;
    let row = writing
        .query_opt(&statement, &[&shop.as_str(), &merchant_wallet_id, &rank, &alias])
        .await
        .map_err(write_error)?;
    let Some(row) = row else {
        return Ok(None);
    };
    let mean = mean_from_row(&row, 0)?;
    touch(&writing, shop, merchant_wallet_id, at).await?;
    writing.commit().await.map_err(pg_error)?;
    Ok(Some(mean))
}

pub(super) async fn delete_mean(
    store: &PostgresStore,
    shop: &ShopId,
    merchant_wallet_id: &str,
    payment_mean_id: u32,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let Some(rank) = rank_param(payment_mean_id) else {
        return Ok(false);
    };
    let mut client = store.client().await?;
    let writing = client.transaction().await.map_err(pg_error)?;
    let statement = writing
        .prepare_cached(
            "DELETE FROM wallet_payment_means WHERE shop_id = $1 AND merchant_wallet_id = $2 AND payment_mean_id = $3",
        )
        .await
        .map_err(pg_error)?;
    let deleted =
        writing.execute(&statement, &[&shop.as_str(), &merchant_wallet_id, &rank]).await.map_err(write_error)?;
    if deleted == 0 {
        return Ok(false);
    }
    touch(&writing, shop, merchant_wallet_id, at).await?;
    writing.commit().await.map_err(pg_error)?;
    Ok(true)
}

pub(super) async fn delete_wallet(
    store: &PostgresStore,
    shop: &ShopId,
    merchant_wallet_id: &str,
) -> Result<bool, StoreError> {
    let client = store.client().await?;
    // Its means go with it (ON DELETE CASCADE), in the same statement.
    let statement = client
        .prepare_cached("DELETE FROM wallets WHERE shop_id = $1 AND merchant_wallet_id = $2")
        .await
        .map_err(pg_error)?;
    let deleted = client.execute(&statement, &[&shop.as_str(), &merchant_wallet_id]).await.map_err(write_error)?;
    Ok(deleted == 1)
}

/// The wallet's last action is now.
async fn touch(
    client: &impl GenericClient,
    shop: &ShopId,
    merchant_wallet_id: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let statement = client
        .prepare_cached("UPDATE wallets SET last_action_at = $3 WHERE shop_id = $1 AND merchant_wallet_id = $2")
        .await
        .map_err(pg_error)?;
    let at = rows::stored_instant(at);
    client.execute(&statement, &[&shop.as_str(), &merchant_wallet_id, &at]).await.map_err(write_error)?;
    Ok(())
}
