//! Sips payment tokens on PostgreSQL. Spending one is a conditional UPDATE (it locks the
//! token's row) and the payment's insert in one database transaction: of two payments racing
//! for a token, on any number of caisse processes, the second sees it spent.

use super::sql::{self, get};
use super::{PostgresStore, pg_error, write_error};
use crate::payment_token_rows::{self, TokenRow};
use crate::rows;
use caisse_core::Pan;
use caisse_core::operation::Operation;
use caisse_core::payment_token::{CardPaymentToken, SpendError};
use caisse_core::ports::{InsertError, NewCard, StoreError};
use caisse_core::transaction::Transaction;

pub(super) async fn insert(store: &PostgresStore, token: &CardPaymentToken, card: NewCard) -> Result<(), StoreError> {
    let token = payment_token_rows::as_stored(token);
    let details = payment_token_rows::details_json(&token.card)?;
    let sealed = store.vault.seal(&card.summary.card_id, &card.pan)?;
    let mut client = store.client().await?;
    let writing = client.transaction().await.map_err(pg_error)?;
    sql::insert_card(&writing, &token.shop_id, &card, &sealed, &token.created_at).await?;
    let statement = writing
        .prepare_cached(
            "INSERT INTO card_payment_tokens (id, shop_id, consumer_shop_id, card_id, origin, details, \
             created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .await
        .map_err(pg_error)?;
    writing
        .execute(
            &statement,
            &[
                &token.id,
                &token.shop_id.as_str(),
                &token.consumer_id.as_str(),
                &card.summary.card_id,
                &token.origin.as_str(),
                &details,
                &token.created_at,
                &token.expires_at,
            ],
        )
        .await
        .map_err(write_error)?;
    writing.commit().await.map_err(pg_error)
}

pub(super) async fn read(store: &PostgresStore, token_id: &str) -> Result<Option<(CardPaymentToken, Pan)>, StoreError> {
    let client = store.client().await?;
    let statement = client
        .prepare_cached(
            "SELECT t.id, t.shop_id, t.consumer_shop_id, t.origin, t.details, t.created_at, t.expires_at, \
             t.consumed_at, c.nonce, c.ciphertext FROM card_payment_tokens t \
             JOIN cards c ON c.card_id = t.card_id AND c.shop_id = t.shop_id WHERE t.id = $1",
        )
        .await
        .map_err(pg_error)?;
    let Some(row) = client.query_opt(&statement, &[&token_id]).await.map_err(pg_error)? else {
        return Ok(None);
    };
    let token = TokenRow {
        id: get(&row, 0)?,
        shop_id: get(&row, 1)?,
        consumer_shop_id: get(&row, 2)?,
        origin: get(&row, 3)?,
        details: get(&row, 4)?,
        created_at: get(&row, 5)?,
        expires_at: get(&row, 6)?,
        consumed_at: get(&row, 7)?,
    }
    .decode()?;
    let nonce: &[u8] = get(&row, 8)?;
    let ciphertext: &[u8] = get(&row, 9)?;
    let pan = store.vault.open(&token.card.card_id, nonce, ciphertext)?;
    Ok(Some((token, pan)))
}

pub(super) async fn spend(
    store: &PostgresStore,
    token_id: &str,
    transaction: Transaction,
    operation: Operation,
    card: NewCard,
) -> Result<Transaction, SpendError> {
    let details = rows::details_json(&transaction)?;
    let (mut transaction, operation) = rows::checked_new(transaction, operation)?;
    let sealed = store.vault.seal(&card.summary.card_id, &card.pan)?;
    let mut client = store.client().await?;
    let writing = client.transaction().await.map_err(pg_error)?;
    // Dropping `writing` on an early return rolls back.
    mark_spent(&writing, token_id, &transaction).await?;
    let s10 = sql::insert_transaction(&writing, &transaction, &operation, &details, Some((&card, &sealed)))
        .await
        .map_err(insert_error)?;
    transaction.s10_transaction_id =
        u32::try_from(s10).map_err(|_| StoreError::Corrupt(format!("s10_transaction_id {s10}")))?;
    writing.commit().await.map_err(pg_error)?;
    Ok(transaction)
}

/// Marks the token spent by `transaction`, unless another payment spent it first (the row
/// lock the UPDATE takes makes a concurrent one wait, then find it spent).
pub(super) async fn mark_spent(
    client: &impl deadpool_postgres::GenericClient,
    token_id: &str,
    transaction: &Transaction,
) -> Result<(), SpendError> {
    let statement = client
        .prepare_cached(
            "UPDATE card_payment_tokens SET consumed_at = $1, transaction_id = $2 \
             WHERE id = $3 AND consumed_at IS NULL",
        )
        .await
        .map_err(pg_error)?;
    let spent = client
        .execute(&statement, &[&transaction.created_at, &transaction.id.as_str(), &token_id])
        .await
        .map_err(write_error)?;
    if spent == 1 { Ok(()) } else { Err(SpendError::Used) }
}

pub(super) fn insert_error(error: InsertError) -> SpendError {
    match error {
        InsertError::DuplicateReference => SpendError::DuplicateReference,
        InsertError::Store(error) => SpendError::Store(error),
    }
}
