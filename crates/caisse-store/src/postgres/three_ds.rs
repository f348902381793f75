//! 3-D Secure authentications on PostgreSQL. A change locks the authentication's row
//! (`SELECT … FOR UPDATE`), then, to complete it, its transaction's row: always in that order,
//! so two processes spending one PaRes take turns and only the first succeeds.

use super::sql::{self, get};
use super::{PostgresStore, insert_new, pg_error, write_error};
use crate::{rows, three_ds_rows};
use caisse_core::operation::Operation;
use caisse_core::payment_token::SpendError;
use caisse_core::ports::{ChangeError, ChangeFn, InsertError, NewCard, OwedFn, StoreError, ThreeDsClaim, TransitionFn};
use caisse_core::three_ds::{ThreeDsAuthentication, ThreeDsRefusal};
use caisse_core::transaction::{Transaction, TransactionId, TransactionKey, Transition};
use deadpool_postgres::GenericClient;

pub(super) async fn insert(
    store: &PostgresStore,
    transaction: Transaction,
    operation: Operation,
    card: Option<NewCard>,
    authentication: ThreeDsAuthentication,
    claim: ThreeDsClaim,
) -> Result<Transaction, SpendError> {
    let authentication = three_ds_rows::as_stored(authentication);
    let authentication_details = three_ds_rows::details_json(&authentication)?;
    let sealed = card.as_ref().map(|card| store.vault.seal_card(card)).transpose()?;
    let mut client = store.client().await?;
    let writing = client.transaction().await.map_err(pg_error)?;
    // Dropping `writing` on an early return rolls back.
    if let ThreeDsClaim::PaymentToken(token_id) = &claim {
        super::payment_tokens::mark_spent(&writing, token_id, &transaction).await?;
    }
    let (transaction, _) =
        insert_new(&writing, transaction, operation).await.map_err(super::payment_tokens::insert_error)?;
    // Claimed once the transaction it names exists.
    if let ThreeDsClaim::PaymentSession(session_id) = &claim {
        let paid = writing
            .execute(
                "UPDATE payment_sessions SET status = 'PAID', transaction_id = $2, finished_at = $3 \
                 WHERE id = $1 AND status = 'OPEN'",
                &[session_id, &transaction.id.as_str(), &transaction.created_at],
            )
            .await
            .map_err(pg_error)?;
        if paid != 1 {
            return Err(SpendError::SessionNotOpen);
        }
    }
    if let (Some(card), Some(sealed)) = (&card, &sealed) {
        sql::insert_card(&writing, &transaction.shop_id, card, sealed, &authentication.created_at).await?;
    }
    let statement = writing
        .prepare_cached(
            "INSERT INTO three_ds_authentications (id, shop_id, transaction_id, created_at, details) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .await
        .map_err(pg_error)?;
    writing
        .execute(
            &statement,
            &[
                &authentication.id,
                &authentication.shop_id.as_str(),
                &authentication.transaction_id.as_str(),
                &authentication.created_at,
                &authentication_details,
            ],
        )
        .await
        .map_err(write_error)?;
    writing.commit().await.map_err(pg_error)?;
    Ok(transaction)
}

pub(super) async fn authentication(
    store: &PostgresStore,
    id: &str,
) -> Result<Option<ThreeDsAuthentication>, StoreError> {
    let client = store.client().await?;
    read(&client, "SELECT details FROM three_ds_authentications WHERE id = $1", id).await
}

pub(super) async fn of_transaction(
    store: &PostgresStore,
    transaction_id: &TransactionId,
) -> Result<Option<ThreeDsAuthentication>, StoreError> {
    let client = store.client().await?;
    read(&client, "SELECT details FROM three_ds_authentications WHERE transaction_id = $1", transaction_id.as_str())
        .await
}

async fn read(
    client: &impl GenericClient,
    query: &str,
    key: &str,
) -> Result<Option<ThreeDsAuthentication>, StoreError> {
    let statement = client.prepare_cached(query).await.map_err(pg_error)?;
    let row = client.query_opt(&statement, &[&key]).await.map_err(pg_error)?;
    match row {
        Some(row) => three_ds_rows::decode(get::<&str>(&row, 0)?).map(Some),
        None => Ok(None),
    }
}

pub(super) async fn change(
    store: &PostgresStore,
    id: &str,
    change: ChangeFn<ThreeDsAuthentication, ThreeDsRefusal>,
) -> Result<ThreeDsAuthentication, ChangeError<ThreeDsRefusal>> {
    let mut client = store.client().await?;
    let locked = client.transaction().await.map_err(pg_error)?;
    let changed = change_locked(&locked, id, change).await?;
    locked.commit().await.map_err(pg_error)?;
    Ok(changed)
}

pub(super) async fn complete(
    store: &PostgresStore,
    id: &str,
    change: ChangeFn<ThreeDsAuthentication, ThreeDsRefusal>,
    transition: TransitionFn,
    owed: OwedFn,
) -> Result<(ThreeDsAuthentication, Transition), ChangeError<ThreeDsRefusal>> {
    let mut client = store.client().await?;
    let locked = client.transaction().await.map_err(pg_error)?;
    let changed = change_locked(&locked, id, change).await?;
    let key = TransactionKey::Id(changed.transaction_id.clone());
    let rows = sql::query_by_key(&locked, &sql::TRANSACTION_FOR_UPDATE_BY, &changed.shop_id, &key).await?;
    let Some(row) = rows.first() else {
        return Err(ChangeError::NotFound);
    };
    let (row_id, current) = sql::transaction_from_row(row)?;
    let transition = rows::guarded(|| transition(&current))?
        .map_err(|refusal| ChangeError::Refused(ThreeDsRefusal::Transaction(refusal)))?;
    let transition = rows::checked_transition(&current, transition)?;
    if transition.spawned.is_some() {
        return Err(StoreError::Corrupt("a 3-D Secure transition spawned a transaction".into()).into());
    }
    sql::update(&locked, row_id, &current, &transition.updated).await?;
    sql::insert_operation(&locked, &transition.operation).await?;
    let owed = rows::guarded(|| owed(&transition.updated))?;
    super::write_owed(&locked, owed).await.map_err(|error| match error {
        InsertError::DuplicateReference => StoreError::AlreadyExists,
        InsertError::Store(error) => error,
    })?;
    locked.commit().await.map_err(pg_error)?;
    Ok((changed, transition))
}

/// Runs `change` on the authentication locked in `locked`'s transaction and writes it.
async fn change_locked(
    locked: &impl GenericClient,
    id: &str,
    change: ChangeFn<ThreeDsAuthentication, ThreeDsRefusal>,
) -> Result<ThreeDsAuthentication, ChangeError<ThreeDsRefusal>> {
    let Some(current) =
        read(locked, "SELECT details FROM three_ds_authentications WHERE id = $1 FOR UPDATE", id).await?
    else {
        return Err(ChangeError::NotFound);
    };
    let changed = rows::guarded(|| change(&current))?.map_err(ChangeError::Refused)?;
    let changed = three_ds_rows::checked_change(&current, changed)?;
    let details = three_ds_rows::details_json(&changed)?;
    let statement = locked
        .prepare_cached("UPDATE three_ds_authentications SET details = $2 WHERE id = $1")
        .await
        .map_err(pg_error)?;
    locked.execute(&statement, &[&id, &details]).await.map_err(write_error)?;
    Ok(changed)
}
