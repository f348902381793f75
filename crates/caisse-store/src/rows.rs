//! Database values ↔ core structs, the same for both backends. Each backend reads its row into
//! a [`TransactionRow`] or [`OperationRow`] (borrowing the row's text) and writes with the
//! helpers below, so that both keep the same semantics.

use caisse_core::card::CardSummary;
use caisse_core::ports::{BatchReport, StoreError};
use caisse_core::transaction::{AuthorisationDetails, OrderDetails, Transition};
use caisse_core::{
    Amount, CaptureMode, Currency, Operation, OperationName, SecretKey, ShopId, Transaction, TransactionId,
    TransactionKind, TransactionStatus,
};
use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// s10TransactionId is 6 digits and unique per shop and day: derived from the row id, it
/// repeats only after this many transactions (all shops together) in one day. 0 is never
/// used: the core means "not assigned yet" by it.
pub(crate) const S10_MODULUS: i64 = 999_999;

pub(crate) fn s10_of(row_id: i64) -> u32 {
    let s10 = (row_id - 1).rem_euclid(S10_MODULUS) + 1;
    debug_assert!((1..=S10_MODULUS).contains(&s10));
    s10 as u32
}

/// Both databases keep microseconds (PostgreSQL can keep no more): instants are cut to
/// microseconds before they are written, so what a write returns is what a read gives back.
pub(crate) fn stored_instant(at: DateTime<Utc>) -> DateTime<Utc> {
    at.trunc_subsecs(6)
}

pub(crate) fn as_stored_transaction(transaction: &mut Transaction) {
    transaction.created_at = stored_instant(transaction.created_at);
    transaction.last_operation_at = stored_instant(transaction.last_operation_at);
}

pub(crate) fn as_stored_operation(operation: &mut Operation) {
    operation.at = stored_instant(operation.at);
}

/// SQLite keeps instants as RFC 3339 text that sorts as it reads.
pub(crate) fn timestamp_text(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

pub(crate) fn parse_timestamp(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text).map(|at| at.with_timezone(&Utc)).map_err(|_| corrupt("timestamp", text))
}

pub(crate) fn date_text(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

pub(crate) fn parse_date(text: &str) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| corrupt("date", text))
}

pub(crate) fn amount_column(amount: Amount) -> Result<i64, StoreError> {
    i64::try_from(amount.minor_units())
        .map_err(|_| StoreError::Corrupt(format!("amount {amount} does not fit a BIGINT")))
}

fn amount_value(column: &str, value: i64) -> Result<Amount, StoreError> {
    u64::try_from(value).map(Amount).map_err(|_| StoreError::Corrupt(format!("negative {column}: {value}")))
}

pub(crate) fn kind_name(kind: TransactionKind) -> &'static str {
    match kind {
        TransactionKind::Debit => "DEBIT",
        TransactionKind::Credit => "CREDIT",
        TransactionKind::Verification => "VERIFICATION",
    }
}

fn parse_kind(text: &str) -> Option<TransactionKind> {
    [TransactionKind::Debit, TransactionKind::Credit, TransactionKind::Verification]
        .into_iter()
        .find(|kind| kind_name(*kind) == text)
}

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("unreadable {what}: {value:?}"))
}

/// What `transactions.details` holds: the parts of a transaction never queried on.
#[derive(Serialize)]
struct DetailsOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    card: Option<&'a CardSummary>,
    authorisation: &'a AuthorisationDetails,
    order: &'a OrderDetails,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_id: Option<&'a TransactionId>,
}

#[derive(Deserialize)]
struct DetailsIn {
    #[serde(default)]
    card: Option<CardSummary>,
    #[serde(default)]
    authorisation: AuthorisationDetails,
    #[serde(default)]
    order: OrderDetails,
    #[serde(default)]
    source_id: Option<TransactionId>,
}

pub(crate) fn details_json(transaction: &Transaction) -> Result<String, StoreError> {
    let details = DetailsOut {
        card: transaction.card.as_ref(),
        authorisation: &transaction.authorisation,
        order: &transaction.order,
        source_id: transaction.source_id.as_ref(),
    };
    serde_json::to_string(&details).map_err(|error| StoreError::Corrupt(format!("transaction details: {error}")))
}

/// `details` needs writing again only when one of its parts changed.
pub(crate) fn details_changed(before: &Transaction, after: &Transaction) -> bool {
    before.card != after.card
        || before.authorisation != after.authorisation
        || before.order != after.order
        || before.source_id != after.source_id
}

pub(crate) fn secret_key(version: i64, secret: &str) -> Result<SecretKey, StoreError> {
    let version =
        u32::try_from(version).map_err(|_| StoreError::Corrupt(format!("key version {version} out of range")))?;
    Ok(SecretKey { version, secret: secret.to_owned() })
}

/// A `transactions` row as read, in the backends' shared column order.
pub(crate) struct TransactionRow<'a> {
    pub(crate) id: &'a str,
    pub(crate) shop_id: &'a str,
    pub(crate) reference: &'a str,
    pub(crate) s10_transaction_id: i64,
    pub(crate) kind: &'a str,
    pub(crate) status: &'a str,
    pub(crate) currency: &'a str,
    pub(crate) origin_amount: i64,
    pub(crate) amount: i64,
    pub(crate) refunded_amount: i64,
    pub(crate) capture_mode: &'a str,
    pub(crate) capture_day: i64,
    pub(crate) capture_date: NaiveDate,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) last_operation: &'a str,
    pub(crate) last_operation_at: DateTime<Utc>,
    pub(crate) details: &'a str,
}

impl TransactionRow<'_> {
    /// The transaction, checked against the core's invariants (the read half of the pair
    /// assertion whose write half runs before every write).
    pub(crate) fn decode(&self) -> Result<Transaction, StoreError> {
        let details: DetailsIn = serde_json::from_str(self.details)
            .map_err(|error| StoreError::Corrupt(format!("details of transaction {}: {error}", self.id)))?;
        let transaction = Transaction {
            id: TransactionId(self.id.to_owned()),
            shop_id: ShopId(self.shop_id.to_owned()),
            reference: self.reference.to_owned(),
            s10_transaction_id: u32::try_from(self.s10_transaction_id)
                .map_err(|_| corrupt("s10_transaction_id", &self.s10_transaction_id.to_string()))?,
            kind: parse_kind(self.kind).ok_or_else(|| corrupt("kind", self.kind))?,
            status: TransactionStatus::parse(self.status).ok_or_else(|| corrupt("status", self.status))?,
            currency: Currency::from_alpha_code(self.currency).ok_or_else(|| corrupt("currency", self.currency))?,
            origin_amount: amount_value("origin_amount", self.origin_amount)?,
            amount: amount_value("amount", self.amount)?,
            refunded_amount: amount_value("refunded_amount", self.refunded_amount)?,
            capture_mode: CaptureMode::parse(self.capture_mode)
                .ok_or_else(|| corrupt("capture_mode", self.capture_mode))?,
            capture_day: u8::try_from(self.capture_day)
                .map_err(|_| corrupt("capture_day", &self.capture_day.to_string()))?,
            capture_date: self.capture_date,
            created_at: self.created_at,
            last_operation: OperationName::parse(self.last_operation)
                .ok_or_else(|| corrupt("last_operation", self.last_operation))?,
            last_operation_at: self.last_operation_at,
            card: details.card,
            authorisation: details.authorisation,
            order: details.order,
            source_id: details.source_id,
        };
        guarded(|| transaction.assert_invariants()).map_err(|_| {
            StoreError::Corrupt(format!("transaction {} breaks the core's invariants", transaction.id.as_str()))
        })?;
        Ok(transaction)
    }
}

/// An `operations` row as read.
pub(crate) struct OperationRow<'a> {
    pub(crate) id: &'a str,
    pub(crate) transaction_id: &'a str,
    pub(crate) name: &'a str,
    pub(crate) amount: i64,
    pub(crate) at: DateTime<Utc>,
    pub(crate) acquirer_response_code: Option<&'a str>,
    pub(crate) authorisation_id: Option<&'a str>,
}

impl OperationRow<'_> {
    pub(crate) fn decode(&self) -> Result<Operation, StoreError> {
        Ok(Operation {
            id: self.id.to_owned(),
            transaction_id: TransactionId(self.transaction_id.to_owned()),
            name: OperationName::parse(self.name).ok_or_else(|| corrupt("operation", self.name))?,
            amount: amount_value("operation amount", self.amount)?,
            at: self.at,
            acquirer_response_code: self.acquirer_response_code.map(str::to_owned),
            authorisation_id: self.authorisation_id.map(str::to_owned),
        })
    }
}

/// Counts a capture batch's operation in its report.
pub(crate) fn count_settled(report: &mut BatchReport, name: OperationName) {
    match name {
        OperationName::Capture => report.captured += 1,
        OperationName::Expire => report.expired += 1,
        OperationName::CreditCapture => report.credited += 1,
        OperationName::Author
        | OperationName::Cancel
        | OperationName::Validate
        | OperationName::Refund
        | OperationName::Duplicate
        | OperationName::CreditHolder => {}
    }
}

/// Runs code that asserts (the core's transitions and invariant checks) where a panic must
/// not take the store down: the writer thread, a pooled connection. A panic is a bug; it
/// becomes an error for this one call, and nothing it started is committed.
pub(crate) fn guarded<T>(body: impl FnOnce() -> T) -> Result<T, StoreError> {
    catch_unwind(AssertUnwindSafe(body)).map_err(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|text| (*text).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        StoreError::Corrupt(format!("a consistency check failed: {message}"))
    })
}

/// A transition as it will be stored, checked before it is written: the write half of the
/// pair assertion. A transition may not rename the transaction nor move it to another shop.
pub(crate) fn checked_transition(current: &Transaction, mut transition: Transition) -> Result<Transition, StoreError> {
    as_stored_transaction(&mut transition.updated);
    as_stored_operation(&mut transition.operation);
    guarded(|| {
        let updated = &transition.updated;
        assert_eq!(updated.id, current.id, "a transition changed the id");
        assert_eq!(updated.shop_id, current.shop_id, "a transition changed the shop");
        assert_eq!(updated.reference, current.reference, "a transition changed the reference");
        assert_eq!(updated.s10_transaction_id, current.s10_transaction_id);
        assert_eq!(updated.created_at, current.created_at);
        assert_eq!(transition.operation.transaction_id, current.id);
        updated.assert_invariants();
    })?;
    Ok(transition)
}

/// A new transaction and its first operation as they will be stored, checked before they are
/// written.
pub(crate) fn checked_new(
    mut transaction: Transaction,
    mut operation: Operation,
) -> Result<(Transaction, Operation), StoreError> {
    as_stored_transaction(&mut transaction);
    as_stored_operation(&mut operation);
    guarded(|| {
        assert_eq!(operation.transaction_id, transaction.id, "the first operation belongs to another transaction");
        transaction.assert_invariants();
    })?;
    Ok((transaction, operation))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn s10_ids_have_six_digits_and_never_zero() {
        assert_eq!(s10_of(1), 1);
        assert_eq!(s10_of(999_999), 999_999);
        assert_eq!(s10_of(1_000_000), 1);
        assert_eq!(s10_of(1_999_998), 999_999);
    }

    #[test]
    fn timestamps_round_trip_at_microseconds() {
        let at = Utc.with_ymd_and_hms(2026, 11, 28, 14, 21, 0).unwrap() + chrono::Duration::nanoseconds(123_456_789);
        let stored = stored_instant(at);
        assert_eq!(timestamp_text(stored), "2026-11-28T14:21:00.123456Z");
        assert_eq!(parse_timestamp(&timestamp_text(stored)).unwrap(), stored);
        assert!(parse_timestamp("yesterday").is_err());
    }

    #[test]
    fn guarded_turns_a_panic_into_an_error() {
        let error = guarded(|| panic!("broken")).unwrap_err();
        assert!(error.to_string().contains("broken"));
        assert_eq!(guarded(|| 5).unwrap(), 5);
    }
}
