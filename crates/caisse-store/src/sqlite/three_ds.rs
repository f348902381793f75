//! 3-D Secure authentications on SQLite: writes go through the writer (one savepoint each,
//! serialised with every other write); reads run on the pool.

use super::writer::three_ds::NewThreeDs;
use super::{SqliteStore, sql_error};
use crate::{rows, three_ds_rows};
use caisse_core::operation::Operation;
use caisse_core::payment_token::SpendError;
use caisse_core::ports::{ChangeError, ChangeFn, NewCard, OwedFn, StoreError, ThreeDsClaim, TransitionFn};
use caisse_core::three_ds::{ThreeDsAuthentication, ThreeDsRefusal};
use caisse_core::transaction::{Transaction, TransactionId, Transition};
use rusqlite::{Connection, OptionalExtension, params};

pub(super) async fn insert(
    store: &SqliteStore,
    transaction: Transaction,
    operation: Operation,
    card: Option<NewCard>,
    authentication: ThreeDsAuthentication,
    claim: ThreeDsClaim,
) -> Result<Transaction, SpendError> {
    // Serialised and encrypted here, on the caller's thread, to keep the writer lean.
    let details = rows::details_json(&transaction)?;
    let card = store.seal_any(card)?;
    let authentication = three_ds_rows::as_stored(authentication);
    let authentication_details = three_ds_rows::details_json(&authentication)?;
    let new = NewThreeDs { transaction, operation, details, card, authentication, authentication_details, claim };
    store.writer.insert_three_ds(new).await
}

pub(super) async fn authentication(store: &SqliteStore, id: &str) -> Result<Option<ThreeDsAuthentication>, StoreError> {
    let id = id.to_owned();
    store.readers.run(move |connection| read(connection, &id)).await
}

pub(super) async fn of_transaction(
    store: &SqliteStore,
    transaction_id: &TransactionId,
) -> Result<Option<ThreeDsAuthentication>, StoreError> {
    let transaction_id = transaction_id.clone();
    store
        .readers
        .run(move |connection| {
            let details: Option<String> = connection
                .prepare_cached("SELECT details FROM three_ds_authentications WHERE transaction_id = ?1")
                .and_then(|mut statement| {
                    statement.query_row(params![transaction_id.as_str()], |row| row.get(0)).optional()
                })
                .map_err(sql_error)?;
            details.as_deref().map(three_ds_rows::decode).transpose()
        })
        .await
}

pub(super) async fn change(
    store: &SqliteStore,
    id: &str,
    change: ChangeFn<ThreeDsAuthentication, ThreeDsRefusal>,
) -> Result<ThreeDsAuthentication, ChangeError<ThreeDsRefusal>> {
    store.writer.change_three_ds(id.to_owned(), change).await
}

pub(super) async fn complete(
    store: &SqliteStore,
    id: &str,
    change: ChangeFn<ThreeDsAuthentication, ThreeDsRefusal>,
    transition: TransitionFn,
    owed: OwedFn,
) -> Result<(ThreeDsAuthentication, Transition), ChangeError<ThreeDsRefusal>> {
    store.writer.complete_three_ds(id.to_owned(), change, transition, owed).await
}

/// An authentication by id, on any connection (the writer's reads it under its lock).
pub(super) fn read(connection: &Connection, id: &str) -> Result<Option<ThreeDsAuthentication>, StoreError> {
    let details: Option<String> = connection
        .prepare_cached("SELECT details FROM three_ds_authentications WHERE id = ?1")
        .and_then(|mut statement| statement.query_row(params![id], |row| row.get(0)).optional())
        .map_err(sql_error)?;
    details.as_deref().map(three_ds_rows::decode).transpose()
}
