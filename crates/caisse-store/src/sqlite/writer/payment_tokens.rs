//! Spending a payment token: the token is marked spent and the payment inserted in one job
//! (one savepoint), with a transaction row id of the group's, so it is a job of its own kind.

use super::extension::AnyDone;
use super::{FromStore, Group, Job, Reply, SealedCard, Writer, insert_card, insert_new, savepoint, write_error};
use crate::rows;
use caisse_core::operation::Operation;
use caisse_core::payment_token::SpendError;
use caisse_core::ports::{InsertError, StoreError};
use caisse_core::transaction::Transaction;
use rusqlite::{Connection, params};

impl FromStore for SpendError {
    fn from_store(error: StoreError) -> Self {
        SpendError::Store(error)
    }
}

/// A payment by payment token, waiting for the writer.
pub(in crate::sqlite) struct SpendJob {
    token_id: String,
    transaction: Transaction,
    operation: Operation,
    card: SealedCard,
    /// `rows::details_json` of the transaction, computed by the caller.
    details: String,
    reply: Reply<Transaction, SpendError>,
}

struct Spent {
    reply: Reply<Transaction, SpendError>,
    result: Result<Transaction, SpendError>,
}

impl SpendJob {
    pub(super) fn run(self, connection: &Connection, group: &mut Group) -> Box<dyn AnyDone> {
        let SpendJob { token_id, transaction, operation, card, details, reply } = self;
        let result = savepoint(connection, group, |group| {
            spend(connection, group, &token_id, transaction, operation, &card, &details)
        });
        Box::new(Spent { reply, result })
    }

    pub(super) fn failed(self, failure: &str) -> Box<dyn AnyDone> {
        Box::new(Spent {
            reply: self.reply,
            result: Err(SpendError::Store(StoreError::Unavailable(failure.to_owned()))),
        })
    }
}

impl AnyDone for Spent {
    /// A payment that succeeded in a group that did not commit did not happen.
    fn deliver(self: Box<Self>, failure: Option<&str>) {
        let result = match (self.result, failure) {
            (Ok(_), Some(failure)) => {
                Err(SpendError::Store(StoreError::Unavailable(format!("sqlite commit failed: {failure}"))))
            }
            (result, _) => result,
        };
        let _ = self.reply.send(result);
    }
}

fn spend(
    connection: &Connection,
    group: &mut Group,
    token_id: &str,
    transaction: Transaction,
    operation: Operation,
    card: &SealedCard,
    details: &str,
) -> Result<Transaction, SpendError> {
    let consumed_at = rows::timestamp_text(transaction.created_at);
    mark_spent(connection, token_id, &transaction)?;
    let (transaction, _) =
        insert_new(connection, group, transaction, operation, details).map_err(|error| match error {
            InsertError::DuplicateReference => SpendError::DuplicateReference,
            InsertError::Store(error) => SpendError::Store(error),
        })?;
    insert_card(connection, &transaction.shop_id, card, &consumed_at)?;
    Ok(transaction)
}

/// Marks the token spent by `transaction`, unless another payment spent it first.
pub(super) fn mark_spent(connection: &Connection, token_id: &str, transaction: &Transaction) -> Result<(), SpendError> {
    let consumed_at = rows::timestamp_text(transaction.created_at);
    let spent = connection
        .prepare_cached(
            "UPDATE card_payment_tokens SET consumed_at = ?1, transaction_id = ?2 \
             WHERE id = ?3 AND consumed_at IS NULL",
        )
        .and_then(|mut statement| statement.execute(params![consumed_at, transaction.id.as_str(), token_id]))
        .map_err(write_error)?;
    if spent == 1 { Ok(()) } else { Err(SpendError::Used) }
}

impl Writer {
    pub(in crate::sqlite) async fn spend_payment_token(
        &self,
        token_id: String,
        transaction: Transaction,
        operation: Operation,
        card: SealedCard,
        details: String,
    ) -> Result<Transaction, SpendError> {
        self.submit(|reply| Job::SpendPaymentToken(SpendJob { token_id, transaction, operation, card, details, reply }))
            .await
    }
}
