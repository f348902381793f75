//! A payment with the notifications it owes: the transaction (a row id of the group's) and the
//! outbox rows in one job, so in one savepoint: both are written, or neither.

use super::extension::AnyDone;
use super::{FromStore, Group, Job, Reply, SealedCard, Writer, insert, savepoint};
use caisse_core::notification::Notification;
use caisse_core::operation::Operation;
use caisse_core::ports::{InsertError, StoreError};
use caisse_core::transaction::Transaction;
use rusqlite::Connection;

/// A notification ready for its row: the body already serialised by the caller.
pub(in crate::sqlite) struct NotificationRow {
    pub(in crate::sqlite) notification: Notification,
    pub(in crate::sqlite) body: String,
}

/// An insert with notifications, waiting for the writer.
pub(in crate::sqlite) struct InsertJob {
    transaction: Transaction,
    operation: Operation,
    card: Option<SealedCard>,
    /// `rows::details_json` of the transaction, computed by the caller.
    details: String,
    notifications: Vec<NotificationRow>,
    /// A hosted page session this payment finishes: (id, finished_at text).
    session: Option<(String, String)>,
    reply: Reply<Transaction, InsertError>,
}

struct Inserted {
    reply: Reply<Transaction, InsertError>,
    result: Result<Transaction, InsertError>,
}

impl InsertJob {
    pub(super) fn run(self, connection: &Connection, group: &mut Group) -> Box<dyn AnyDone> {
        let InsertJob { transaction, operation, card, details, notifications, session, reply } = self;
        let result = savepoint(connection, group, |group| {
            if let Some((id, _)) = &session {
                crate::sqlite::payment_sessions::check_open(connection, id)?;
            }
            let mut wrote = false;
            let stored = insert(connection, group, &mut wrote, transaction, operation, card, &details)?;
            for row in &notifications {
                crate::sqlite::notifications::insert_row(connection, &row.notification, &row.body)?;
            }
            if let Some((id, finished_at)) = &session {
                crate::sqlite::payment_sessions::mark_paid(connection, id, stored.id.as_str(), finished_at)?;
            }
            Ok(stored)
        });
        Box::new(Inserted { reply, result })
    }

    pub(super) fn failed(self, failure: &str) -> Box<dyn AnyDone> {
        let error = InsertError::from_store(StoreError::Unavailable(failure.to_owned()));
        Box::new(Inserted { reply: self.reply, result: Err(error) })
    }
}

impl AnyDone for Inserted {
    /// A payment that succeeded in a group that did not commit did not happen.
    fn deliver(self: Box<Self>, failure: Option<&str>) {
        let result = match (self.result, failure) {
            (Ok(_), Some(failure)) => {
                Err(InsertError::from_store(StoreError::Unavailable(format!("sqlite commit failed: {failure}"))))
            }
            (result, _) => result,
        };
        let _ = self.reply.send(result);
    }
}

impl Writer {
    pub(in crate::sqlite) async fn insert_with_notifications(
        &self,
        transaction: Transaction,
        operation: Operation,
        card: Option<SealedCard>,
        details: String,
        notifications: Vec<NotificationRow>,
    ) -> Result<Transaction, InsertError> {
        self.submit(|reply| {
            Job::InsertWithNotifications(InsertJob {
                transaction,
                operation,
                card,
                details,
                notifications,
                session: None,
                reply,
            })
        })
        .await
    }

    /// As `insert_with_notifications`, finishing the open session `session` (id, finished_at)
    /// in the same savepoint.
    pub(in crate::sqlite) async fn insert_paying_session(
        &self,
        transaction: Transaction,
        operation: Operation,
        card: Option<SealedCard>,
        details: String,
        notifications: Vec<NotificationRow>,
        session: (String, String),
    ) -> Result<Transaction, InsertError> {
        self.submit(|reply| {
            Job::InsertWithNotifications(InsertJob {
                transaction,
                operation,
                card,
                details,
                notifications,
                session: Some(session),
                reply,
            })
        })
        .await
    }
}
