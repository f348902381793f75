//! A payment with the notifications it owes: the transaction (a row id of the group's) and the
//! outbox rows in one job, so in one savepoint: both are written, or neither.

use super::extension::AnyDone;
use super::{FromStore, Group, Job, Reply, SealedCard, Writer, insert, savepoint};
use caisse_core::notification::Notification;
use caisse_core::operation::Operation;
use caisse_core::ports::{InsertError, StoreError};
use caisse_core::token::PaymentToken;
use caisse_core::transaction::Transaction;
use rusqlite::Connection;

/// A notification ready for its row: the body already serialised by the caller.
pub(in crate::sqlite) struct NotificationRow {
    pub(in crate::sqlite) notification: Notification,
    pub(in crate::sqlite) body: String,
}

impl NotificationRow {
    /// The rows of `notifications`, as stored, their bodies serialised.
    pub(in crate::sqlite) fn all(notifications: &[Notification]) -> Result<Vec<NotificationRow>, StoreError> {
        notifications
            .iter()
            .map(|notification| {
                let notification = crate::notification_rows::as_stored(notification);
                let body = crate::notification_rows::body_json(&notification.body)?;
                Ok(NotificationRow { notification, body })
            })
            .collect()
    }

    pub(in crate::sqlite) fn insert(&self, connection: &Connection) -> Result<(), StoreError> {
        crate::sqlite::notifications::insert_row(connection, &self.notification, &self.body)
    }
}

/// The hosted page session a payment finishes.
pub(in crate::sqlite) struct PayingSession {
    pub(in crate::sqlite) id: String,
    /// When it was paid, as stored.
    pub(in crate::sqlite) finished_at: String,
    /// The token the payment registers, with its `details` JSON.
    pub(in crate::sqlite) token: Option<(PaymentToken, String)>,
}

/// An insert with notifications, waiting for the writer.
pub(in crate::sqlite) struct InsertJob {
    transaction: Transaction,
    operation: Operation,
    card: Option<SealedCard>,
    /// `rows::details_json` of the transaction, computed by the caller.
    details: String,
    notifications: Vec<NotificationRow>,
    /// A hosted page session this payment finishes.
    session: Option<PayingSession>,
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
            if let Some(session) = &session {
                crate::sqlite::payment_sessions::check_open(connection, &session.id)?;
            }
            let mut wrote = false;
            let stored = insert(connection, group, &mut wrote, transaction, operation, card, &details)?;
            if let Some((token, token_details)) = session.as_ref().and_then(|session| session.token.as_ref()) {
                super::insert_token_row(connection, token, token_details)?;
            }
            for row in &notifications {
                row.insert(connection)?;
            }
            if let Some(session) = &session {
                let (id, finished_at) = (&session.id, &session.finished_at);
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
    /// A payment and its notifications; with `session`, finishing that open session and
    /// registering its token, all in one savepoint.
    pub(in crate::sqlite) async fn insert_with_notifications(
        &self,
        transaction: Transaction,
        operation: Operation,
        card: Option<SealedCard>,
        details: String,
        notifications: Vec<NotificationRow>,
        session: Option<PayingSession>,
    ) -> Result<Transaction, InsertError> {
        self.submit(|reply| {
            Job::InsertWithNotifications(InsertJob {
                transaction,
                operation,
                card,
                details,
                notifications,
                session,
                reply,
            })
        })
        .await
    }
}
