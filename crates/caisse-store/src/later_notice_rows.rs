//! The notices of changes made after the payment (`Store::apply_noticed`, the noticed capture
//! batch), shared by both backends: which transaction they describe, and what the adapter's
//! `LaterNotices` made of it, checked before it is written with the change.

use caisse_core::notification::{Notification, NotificationRule, NotificationRules};
use caisse_core::ports::{LaterNotices, LaterSource, NoticeContext, StoreError};
use caisse_core::transaction::{Transaction, TransactionId, Transition};

/// What the notices of a change describe: the refund's CREDIT when it spawned one (the
/// operation the merchant made), else the changed transaction.
pub(crate) fn noticed(transition: &Transition) -> &Transaction {
    transition.spawned.as_ref().map_or(&transition.updated, |(credit, _)| credit)
}

/// The transaction whose session (if one paid it) a notice about `transaction` is made from:
/// a refund's credit is its parent's.
pub(crate) fn paid(transaction: &Transaction) -> &TransactionId {
    transaction.parent_id.as_ref().unwrap_or(&transaction.id)
}

/// Whether a shop with these rules is owed any later notice: the store reads the form
/// settings only then.
pub(crate) fn wanted(rules: &NotificationRules) -> bool {
    rules.applies(NotificationRule::LaterOperation)
}

/// The notices `notices` owes for `transaction`, as they will be stored. A panic in the
/// adapter, or a notice for another shop, is a bug: the change fails with it.
pub(crate) fn made(
    notices: &dyn LaterNotices,
    transaction: &Transaction,
    context: &NoticeContext,
    source: LaterSource,
) -> Result<Vec<Notification>, StoreError> {
    let made = crate::rows::guarded(|| notices.notices(transaction, context, source))?;
    made.iter()
        .map(|notice| {
            crate::rows::check_same_shop("a later notice", &transaction.shop_id, &notice.shop_id)?;
            Ok(crate::notification_rows::as_stored(notice))
        })
        .collect()
}
