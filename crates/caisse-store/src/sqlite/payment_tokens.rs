//! Sips payment tokens on SQLite: creating one is one writer job (token row and vault entry);
//! spending one is a job of its own kind (`writer::payment_tokens`); reading one is one
//! statement on the pool (token and card in one snapshot).

use super::writer::SealedCard;
use super::writer::extension::insert_card;
use super::{SqliteStore, sql_error};
use crate::payment_token_rows::{self, TokenRow};
use crate::rows;
use caisse_core::Pan;
use caisse_core::operation::Operation;
use caisse_core::payment_token::{CardPaymentToken, SpendError};
use caisse_core::ports::{NewCard, StoreError};
use caisse_core::transaction::Transaction;
use rusqlite::{Connection, OptionalExtension, params};

pub(super) async fn insert(store: &SqliteStore, token: &CardPaymentToken, card: NewCard) -> Result<(), StoreError> {
    // Encrypted and serialised here, on the caller's thread, to keep the writer lean.
    let token = payment_token_rows::as_stored(token);
    let details = payment_token_rows::details_json(&token.card)?;
    let card = store.seal(card)?;
    store.writer.write(move |connection| insert_in(connection, &token, &details, &card)).await
}

fn insert_in(
    connection: &Connection,
    token: &CardPaymentToken,
    details: &str,
    card: &SealedCard,
) -> Result<(), StoreError> {
    let created_at = rows::timestamp_text(token.created_at);
    insert_card(connection, &token.shop_id, card, &created_at)?;
    connection
        .prepare_cached(
            "INSERT INTO card_payment_tokens (id, shop_id, consumer_shop_id, card_id, origin, details, \
             created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                token.id,
                token.shop_id.as_str(),
                token.consumer_id.as_str(),
                card.card_id,
                token.origin.as_str(),
                details,
                created_at,
                rows::timestamp_text(token.expires_at),
            ])
        })
        .map(|_| ())
        .map_err(|error| match error {
            rusqlite::Error::SqliteFailure(failure, _)
                if failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY =>
            {
                StoreError::NotFound
            }
            error => sql_error(error),
        })
}

pub(super) async fn read(store: &SqliteStore, token_id: &str) -> Result<Option<(CardPaymentToken, Pan)>, StoreError> {
    let token_id = token_id.to_owned();
    let found = store.readers.run(move |connection| read_in(connection, &token_id)).await?;
    match found {
        Some((token, nonce, ciphertext)) => {
            let pan = store.vault.open(&token.card.card_id, &nonce, &ciphertext)?;
            Ok(Some((token, pan)))
        }
        None => Ok(None),
    }
}

type Found = (CardPaymentToken, Vec<u8>, Vec<u8>);

fn read_in(connection: &Connection, token_id: &str) -> Result<Option<Found>, StoreError> {
    let mut statement = connection
        .prepare_cached(
            "SELECT t.id, t.shop_id, t.consumer_shop_id, t.origin, t.details, t.created_at, t.expires_at, \
             t.consumed_at, c.nonce, c.ciphertext FROM card_payment_tokens t \
             JOIN cards c ON c.card_id = t.card_id AND c.shop_id = t.shop_id WHERE t.id = ?1",
        )
        .map_err(sql_error)?;
    let row = statement
        .query_row(params![token_id], |row| {
            Ok((
                (
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, String>(4)?,
                ),
                (row.get::<_, String>(5)?, row.get::<_, String>(6)?, row.get::<_, Option<String>>(7)?),
                (row.get::<_, Vec<u8>>(8)?, row.get::<_, Vec<u8>>(9)?),
            ))
        })
        .optional()
        .map_err(sql_error)?;
    let Some(((id, shop_id, consumer_shop_id, origin, details), (created, expires, consumed), (nonce, ciphertext))) =
        row
    else {
        return Ok(None);
    };
    let token = TokenRow {
        id,
        shop_id,
        consumer_shop_id,
        origin,
        details,
        created_at: rows::parse_timestamp(&created)?,
        expires_at: rows::parse_timestamp(&expires)?,
        consumed_at: consumed.as_deref().map(rows::parse_timestamp).transpose()?,
    }
    .decode()?;
    Ok(Some((token, nonce, ciphertext)))
}

pub(super) async fn spend(
    store: &SqliteStore,
    token_id: &str,
    transaction: Transaction,
    operation: Operation,
    card: NewCard,
) -> Result<Transaction, SpendError> {
    let details = rows::details_json(&transaction)?;
    let card = store.seal(card)?;
    store.writer.spend_payment_token(token_id.to_owned(), transaction, operation, card, details).await
}
