//! 3-D Secure writes that insert or move a transaction with their authentication: they need
//! the group's transaction row ids, so they are jobs of their own kind, each in one savepoint.

use super::extension::AnyDone;
use super::{FromStore, Group, Job, Reply, SealedCard, Writer, apply, insert_card, insert_new, savepoint, write_error};
use crate::three_ds_rows;
use caisse_core::operation::Operation;
use caisse_core::payment_token::SpendError;
use caisse_core::ports::{
    ApplyError, ChangeError, ChangeFn, InsertError, OwedFn, StoreError, ThreeDsClaim, TransitionFn,
};
use caisse_core::three_ds::{ThreeDsAuthentication, ThreeDsRefusal};
use caisse_core::transaction::{Transaction, TransactionKey, Transition};
use rusqlite::{Connection, params};

type Work<T, E> = Box<dyn FnOnce(&Connection, &mut Group) -> Result<T, E> + Send>;

/// A 3-D Secure write waiting for the writer, its result type erased.
pub(in crate::sqlite) struct ThreeDsJob(Box<dyn GroupedWrite>);

impl ThreeDsJob {
    pub(super) fn run(self, connection: &Connection, group: &mut Group) -> Box<dyn AnyDone> {
        self.0.run(connection, group)
    }

    pub(super) fn failed(self, failure: &str) -> Box<dyn AnyDone> {
        self.0.failed(failure)
    }
}

trait GroupedWrite: Send {
    fn run(self: Box<Self>, connection: &Connection, group: &mut Group) -> Box<dyn AnyDone>;
    fn failed(self: Box<Self>, failure: &str) -> Box<dyn AnyDone>;
}

struct Grouped<T, E> {
    work: Work<T, E>,
    reply: Reply<T, E>,
}

struct Finished<T, E> {
    reply: Reply<T, E>,
    result: Result<T, E>,
}

impl<T: Send + 'static, E: FromStore + Send + 'static> GroupedWrite for Grouped<T, E> {
    fn run(self: Box<Self>, connection: &Connection, group: &mut Group) -> Box<dyn AnyDone> {
        let Grouped { work, reply } = *self;
        let result = savepoint(connection, group, |group| work(connection, group));
        Box::new(Finished { reply, result })
    }

    fn failed(self: Box<Self>, failure: &str) -> Box<dyn AnyDone> {
        Box::new(Finished {
            reply: self.reply,
            result: Err(E::from_store(StoreError::Unavailable(failure.to_owned()))),
        })
    }
}

impl<T: Send, E: FromStore + Send> AnyDone for Finished<T, E> {
    /// A write that succeeded in a group that did not commit did not happen.
    fn deliver(self: Box<Self>, failure: Option<&str>) {
        let result = match (self.result, failure) {
            (Ok(_), Some(failure)) => {
                Err(E::from_store(StoreError::Unavailable(format!("sqlite commit failed: {failure}"))))
            }
            (result, _) => result,
        };
        let _ = self.reply.send(result);
    }
}

/// A transaction waiting for 3-D Secure, serialised and encrypted by the caller.
pub(in crate::sqlite) struct NewThreeDs {
    pub(in crate::sqlite) transaction: Transaction,
    pub(in crate::sqlite) operation: Operation,
    /// `rows::details_json` of the transaction.
    pub(in crate::sqlite) details: String,
    /// Its card, when new to the vault.
    pub(in crate::sqlite) card: Option<SealedCard>,
    pub(in crate::sqlite) authentication: ThreeDsAuthentication,
    pub(in crate::sqlite) authentication_details: String,
    /// What it uses up in the same savepoint.
    pub(in crate::sqlite) claim: ThreeDsClaim,
}

impl Writer {
    async fn grouped<T, E>(
        &self,
        work: impl FnOnce(&Connection, &mut Group) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: FromStore + Send + 'static,
    {
        self.submit(|reply| Job::ThreeDs(ThreeDsJob(Box::new(Grouped { work: Box::new(work), reply })))).await
    }

    /// The waiting transaction, its operation, its card (if new) and its authentication.
    pub(in crate::sqlite) async fn insert_three_ds(&self, new: NewThreeDs) -> Result<Transaction, SpendError> {
        let NewThreeDs { transaction, operation, details, card, authentication, authentication_details, claim } = new;
        self.grouped(move |connection, group| {
            if let ThreeDsClaim::PaymentToken(token_id) = &claim {
                super::payment_tokens::mark_spent(connection, token_id, &transaction)?;
            }
            let (transaction, _) =
                insert_new(connection, group, transaction, operation, &details).map_err(|error| match error {
                    InsertError::DuplicateReference => SpendError::DuplicateReference,
                    InsertError::Store(error) => SpendError::Store(error),
                })?;
            // Claimed once the transaction it names exists.
            if let ThreeDsClaim::PaymentSession(session_id) = &claim {
                let paid_at = crate::rows::timestamp_text(transaction.created_at);
                crate::sqlite::payment_sessions::mark_paid(connection, session_id, transaction.id.as_str(), &paid_at)
                    .map_err(|error| match error {
                    StoreError::Corrupt(message) if message == crate::payment_session_rows::NOT_OPEN => {
                        SpendError::SessionNotOpen
                    }
                    other => SpendError::Store(other),
                })?;
            }
            let created_at = crate::rows::timestamp_text(authentication.created_at);
            if let Some(card) = card {
                insert_card(connection, &transaction.shop_id, &card, &created_at)?;
            }
            connection
                .prepare_cached(
                    "INSERT INTO three_ds_authentications (id, shop_id, transaction_id, created_at, details) \
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .and_then(|mut statement| {
                    statement.execute(params![
                        authentication.id,
                        authentication.shop_id.as_str(),
                        authentication.transaction_id.as_str(),
                        created_at,
                        authentication_details
                    ])
                })
                .map_err(write_error)?;
            Ok(transaction)
        })
        .await
    }

    /// Changes the authentication (read and written under the writer's lock).
    pub(in crate::sqlite) async fn change_three_ds(
        &self,
        id: String,
        change: ChangeFn<ThreeDsAuthentication, ThreeDsRefusal>,
    ) -> Result<ThreeDsAuthentication, ChangeError<ThreeDsRefusal>> {
        self.grouped(move |connection, _| change_in(connection, &id, change)).await
    }

    /// Changes the authentication, applies `transition` to its transaction and writes what it
    /// owes (notifications, a token), in one savepoint.
    pub(in crate::sqlite) async fn complete_three_ds(
        &self,
        id: String,
        change: ChangeFn<ThreeDsAuthentication, ThreeDsRefusal>,
        transition: TransitionFn,
        owed: OwedFn,
    ) -> Result<(ThreeDsAuthentication, Transition), ChangeError<ThreeDsRefusal>> {
        self.grouped(move |connection, group| {
            let changed = change_in(connection, &id, change)?;
            let key = TransactionKey::Id(changed.transaction_id.clone());
            let transition =
                apply(connection, group, &changed.shop_id, &key, transition).map_err(|error| match error {
                    ApplyError::NotFound => ChangeError::NotFound,
                    ApplyError::Refused(refusal) => ChangeError::Refused(ThreeDsRefusal::Transaction(refusal)),
                    ApplyError::Store(error) => ChangeError::Store(error),
                })?;
            let owed = crate::rows::guarded(|| owed(&transition.updated))?;
            super::write_owed(connection, owed).map_err(|error| match error {
                InsertError::DuplicateReference => StoreError::AlreadyExists,
                InsertError::Store(error) => error,
            })?;
            Ok((changed, transition))
        })
        .await
    }
}

fn change_in(
    connection: &Connection,
    id: &str,
    change: ChangeFn<ThreeDsAuthentication, ThreeDsRefusal>,
) -> Result<ThreeDsAuthentication, ChangeError<ThreeDsRefusal>> {
    let Some(current) = super::super::three_ds::read(connection, id)? else {
        return Err(ChangeError::NotFound);
    };
    let changed = crate::rows::guarded(|| change(&current))?.map_err(ChangeError::Refused)?;
    let changed = three_ds_rows::checked_change(&current, changed)?;
    let details = three_ds_rows::details_json(&changed)?;
    connection
        .prepare_cached("UPDATE three_ds_authentications SET details = ?2 WHERE id = ?1")
        .and_then(|mut statement| statement.execute(params![id, details]))
        .map_err(write_error)?;
    Ok(changed)
}
