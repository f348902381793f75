//! Database values ↔ core structs, the same for both backends. Each backend reads its row into
//! a [`TransactionRow`], [`OperationRow`], [`TokenRow`], [`SubscriptionRow`] or
//! [`PaymentFormRow`] (borrowing the row's text) and writes with the helpers below, so that both
//! keep the same semantics.

use caisse_core::card::CardSummary;
use caisse_core::cpay::CpayOption;
use caisse_core::payment_form::{FormPurpose, PaymentForm};
use caisse_core::ports::{BatchReport, StoreError};
use caisse_core::subscription::{Subscription, SubscriptionStatus};
use caisse_core::token::{PaymentToken, SepaMandate, TokenMethod, TokenStatus};
use caisse_core::transaction::{AuthorisationDetails, OrderDetails, Transition};
use caisse_core::{
    Amount, CaptureMode, Currency, Mode, Operation, OperationName, SecretKey, ShopId, Transaction, TransactionId,
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

fn is_test_mode(mode: &Mode) -> bool {
    *mode == Mode::Test
}

/// What `transactions.details` holds: the parts of a transaction never queried on. Rows
/// written before a field existed lack it: every field has a default (TEST mode, no parent,
/// no token, no subscription), and the defaults are not written, to keep the hot path's rows
/// small.
#[derive(Serialize)]
struct DetailsOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    card: Option<&'a CardSummary>,
    authorisation: &'a AuthorisationDetails,
    order: &'a OrderDetails,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_id: Option<&'a TransactionId>,
    #[serde(skip_serializing_if = "is_test_mode")]
    mode: Mode,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_id: Option<&'a TransactionId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subscription_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mandate: Option<&'a SepaMandate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cpay_option: Option<CpayOption>,
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
    #[serde(default)]
    mode: Mode,
    #[serde(default)]
    parent_id: Option<TransactionId>,
    #[serde(default)]
    token_id: Option<String>,
    #[serde(default)]
    subscription_id: Option<String>,
    #[serde(default)]
    mandate: Option<SepaMandate>,
    #[serde(default)]
    cpay_option: Option<CpayOption>,
}

pub(crate) fn details_json(transaction: &Transaction) -> Result<String, StoreError> {
    let details = DetailsOut {
        card: transaction.card.as_ref(),
        authorisation: &transaction.authorisation,
        order: &transaction.order,
        source_id: transaction.source_id.as_ref(),
        mode: transaction.mode,
        parent_id: transaction.parent_id.as_ref(),
        token_id: transaction.token_id.as_deref(),
        subscription_id: transaction.subscription_id.as_deref(),
        mandate: transaction.mandate.as_ref(),
        cpay_option: transaction.cpay_option,
    };
    serde_json::to_string(&details).map_err(|error| StoreError::Corrupt(format!("transaction details: {error}")))
}

/// `details` needs writing again only when one of its parts changed.
pub(crate) fn details_changed(before: &Transaction, after: &Transaction) -> bool {
    before.card != after.card
        || before.authorisation != after.authorisation
        || before.order != after.order
        || before.source_id != after.source_id
        || before.mode != after.mode
        || before.parent_id != after.parent_id
        || before.token_id != after.token_id
        || before.subscription_id != after.subscription_id
        || before.mandate != after.mandate
        || before.cpay_option != after.cpay_option
}

/// `transactions.order_id`: the REST V4 `orderId` the order queries look transactions up by.
pub(crate) fn order_id(transaction: &Transaction) -> Option<&str> {
    transaction.order.order_id.as_deref()
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
            mode: details.mode,
            parent_id: details.parent_id,
            token_id: details.token_id,
            subscription_id: details.subscription_id,
            mandate: details.mandate,
            cpay_option: details.cpay_option,
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
        | OperationName::CreditHolder
        | OperationName::CreditFromTransaction
        | OperationName::Update => {}
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
///
/// A transaction it spawns (a refund's CREDIT) belongs to the same shop, under an id of its
/// own; the store inserts it (with a new s10 id) in the same database transaction.
pub(crate) fn checked_transition(current: &Transaction, mut transition: Transition) -> Result<Transition, StoreError> {
    as_stored_transaction(&mut transition.updated);
    as_stored_operation(&mut transition.operation);
    if let Some((spawned, operation)) = &mut transition.spawned {
        as_stored_transaction(spawned);
        as_stored_operation(operation);
    }
    guarded(|| {
        let updated = &transition.updated;
        assert_eq!(updated.id, current.id, "a transition changed the id");
        assert_eq!(updated.shop_id, current.shop_id, "a transition changed the shop");
        assert_eq!(updated.reference, current.reference, "a transition changed the reference");
        assert_eq!(updated.s10_transaction_id, current.s10_transaction_id);
        assert_eq!(updated.created_at, current.created_at);
        assert_eq!(transition.operation.transaction_id, current.id);
        updated.assert_invariants();
        if let Some((spawned, operation)) = &transition.spawned {
            assert_eq!(spawned.shop_id, current.shop_id, "a spawned transaction belongs to another shop");
            assert_ne!(spawned.id, current.id, "a spawned transaction has its parent's id");
            assert_eq!(operation.transaction_id, spawned.id, "a spawned operation belongs to another transaction");
            spawned.assert_invariants();
        }
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

/// Checks that rows written together belong to one shop (a bug otherwise).
pub(crate) fn check_same_shop(what: &str, expected: &ShopId, actual: &ShopId) -> Result<(), StoreError> {
    if expected == actual {
        Ok(())
    } else {
        Err(StoreError::Corrupt(format!("{what} of shop {actual} written with shop {expected}'s rows")))
    }
}

// --- Sogecommerce (Lyra): tokens, subscriptions, payment forms ----------------------------

fn parse_token_status(text: &str) -> Option<TokenStatus> {
    [TokenStatus::Active, TokenStatus::Cancelled].into_iter().find(|status| status.as_str() == text)
}

pub(crate) fn subscription_status_name(status: SubscriptionStatus) -> &'static str {
    match status {
        SubscriptionStatus::Active => "ACTIVE",
        SubscriptionStatus::Cancelled => "CANCELLED",
    }
}

fn parse_subscription_status(text: &str) -> Option<SubscriptionStatus> {
    [SubscriptionStatus::Active, SubscriptionStatus::Cancelled]
        .into_iter()
        .find(|status| subscription_status_name(*status) == text)
}

pub(crate) fn purpose_name(purpose: FormPurpose) -> &'static str {
    match purpose {
        FormPurpose::Payment => "PAYMENT",
        FormPurpose::Register => "REGISTER",
        FormPurpose::RegisterPay => "REGISTER_PAY",
    }
}

fn parse_purpose(text: &str) -> Option<FormPurpose> {
    [FormPurpose::Payment, FormPurpose::Register, FormPurpose::RegisterPay]
        .into_iter()
        .find(|purpose| purpose_name(*purpose) == text)
}

/// What `tokens.details` holds: the parts of a token never queried on.
#[derive(Serialize)]
struct TokenDetailsOut<'a> {
    method: &'a TokenMethod,
    mode: Mode,
    #[serde(skip_serializing_if = "Option::is_none")]
    initial_issuer_transaction_identifier: Option<&'a str>,
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    customer: &'a serde_json::Map<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct TokenDetailsIn {
    method: TokenMethod,
    #[serde(default)]
    mode: Mode,
    #[serde(default)]
    initial_issuer_transaction_identifier: Option<String>,
    #[serde(default)]
    customer: serde_json::Map<String, serde_json::Value>,
}

/// A token as it will be stored: instants cut to microseconds.
pub(crate) fn as_stored_token(mut token: PaymentToken) -> PaymentToken {
    token.created_at = stored_instant(token.created_at);
    token.cancelled_at = token.cancelled_at.map(stored_instant);
    token
}

pub(crate) fn token_details_json(token: &PaymentToken) -> Result<String, StoreError> {
    let details = TokenDetailsOut {
        method: &token.method,
        mode: token.mode,
        initial_issuer_transaction_identifier: token.initial_issuer_transaction_identifier.as_deref(),
        customer: &token.customer,
    };
    serde_json::to_string(&details).map_err(|error| StoreError::Corrupt(format!("token details: {error}")))
}

/// A `tokens` row as read.
pub(crate) struct TokenRow<'a> {
    pub(crate) id: &'a str,
    pub(crate) shop_id: &'a str,
    pub(crate) status: &'a str,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) cancelled_at: Option<DateTime<Utc>>,
    pub(crate) details: &'a str,
}

impl TokenRow<'_> {
    pub(crate) fn decode(&self) -> Result<PaymentToken, StoreError> {
        let details: TokenDetailsIn = serde_json::from_str(self.details)
            .map_err(|error| StoreError::Corrupt(format!("details of token {}: {error}", self.id)))?;
        Ok(PaymentToken {
            id: self.id.to_owned(),
            shop_id: ShopId(self.shop_id.to_owned()),
            mode: details.mode,
            status: parse_token_status(self.status).ok_or_else(|| corrupt("token status", self.status))?,
            method: details.method,
            initial_issuer_transaction_identifier: details.initial_issuer_transaction_identifier,
            customer: details.customer,
            created_at: self.created_at,
            cancelled_at: self.cancelled_at,
        })
    }
}

/// A change to a token or a subscription may not rename it nor move it to another shop.
pub(crate) fn check_renamed(what: &str, before: (&ShopId, &str), after: (&ShopId, &str)) -> Result<(), StoreError> {
    if before == after { Ok(()) } else { Err(StoreError::Corrupt(format!("a change renamed {what} {}", before.1))) }
}

/// What `subscriptions.details` holds: everything but the key and the queried columns.
#[derive(Serialize, Deserialize)]
struct SubscriptionDetails {
    #[serde(default)]
    mode: Mode,
    amount: Amount,
    currency: Currency,
    #[serde(default)]
    initial_amount: Option<Amount>,
    #[serde(default)]
    initial_amount_number: u32,
    effect_date: DateTime<Utc>,
    rrule: String,
    #[serde(default)]
    order_id: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    metadata: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    cancelled_at: Option<DateTime<Utc>>,
    #[serde(default)]
    past_payments_number: u32,
    #[serde(default)]
    total_payments_number: Option<u32>,
}

/// A subscription as it will be stored: instants cut to microseconds, so that what a write
/// returns is what a read gives back, and `next_due_at` compares equal to what was read.
pub(crate) fn as_stored_subscription(mut subscription: Subscription) -> Subscription {
    subscription.effect_date = stored_instant(subscription.effect_date);
    subscription.created_at = stored_instant(subscription.created_at);
    subscription.cancelled_at = subscription.cancelled_at.map(stored_instant);
    subscription.next_due_at = subscription.next_due_at.map(stored_instant);
    subscription
}

pub(crate) fn subscription_details_json(subscription: &Subscription) -> Result<String, StoreError> {
    let details = SubscriptionDetails {
        mode: subscription.mode,
        amount: subscription.amount,
        currency: subscription.currency,
        initial_amount: subscription.initial_amount,
        initial_amount_number: subscription.initial_amount_number,
        effect_date: subscription.effect_date,
        rrule: subscription.rrule.clone(),
        order_id: subscription.order_id.clone(),
        description: subscription.description.clone(),
        metadata: subscription.metadata.clone(),
        cancelled_at: subscription.cancelled_at,
        past_payments_number: subscription.past_payments_number,
        total_payments_number: subscription.total_payments_number,
    };
    serde_json::to_string(&details).map_err(|error| StoreError::Corrupt(format!("subscription details: {error}")))
}

/// A `subscriptions` row as read.
pub(crate) struct SubscriptionRow<'a> {
    pub(crate) shop_id: &'a str,
    pub(crate) id: &'a str,
    pub(crate) token_id: &'a str,
    pub(crate) status: &'a str,
    pub(crate) next_due_at: Option<DateTime<Utc>>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) details: &'a str,
}

impl SubscriptionRow<'_> {
    pub(crate) fn decode(&self) -> Result<Subscription, StoreError> {
        let details: SubscriptionDetails = serde_json::from_str(self.details)
            .map_err(|error| StoreError::Corrupt(format!("details of subscription {}: {error}", self.id)))?;
        Ok(Subscription {
            id: self.id.to_owned(),
            shop_id: ShopId(self.shop_id.to_owned()),
            mode: details.mode,
            token_id: self.token_id.to_owned(),
            amount: details.amount,
            currency: details.currency,
            initial_amount: details.initial_amount,
            initial_amount_number: details.initial_amount_number,
            effect_date: details.effect_date,
            rrule: details.rrule,
            order_id: details.order_id,
            description: details.description,
            metadata: details.metadata,
            status: parse_subscription_status(self.status)
                .ok_or_else(|| corrupt("subscription status", self.status))?,
            created_at: self.created_at,
            cancelled_at: details.cancelled_at,
            past_payments_number: details.past_payments_number,
            total_payments_number: details.total_payments_number,
            next_due_at: self.next_due_at,
        })
    }
}

/// A payment form as it will be stored: instants cut to microseconds.
pub(crate) fn as_stored_form(form: &PaymentForm) -> PaymentForm {
    let mut form = form.clone();
    form.created_at = stored_instant(form.created_at);
    form.expires_at = stored_instant(form.expires_at);
    form.consumed_at = form.consumed_at.map(stored_instant);
    form
}

pub(crate) fn form_request_json(form: &PaymentForm) -> Result<String, StoreError> {
    serde_json::to_string(&form.request).map_err(|error| StoreError::Corrupt(format!("payment form request: {error}")))
}

/// A `payment_forms` row as read.
pub(crate) struct PaymentFormRow<'a> {
    pub(crate) form_token: &'a str,
    pub(crate) shop_id: &'a str,
    pub(crate) mode: &'a str,
    pub(crate) purpose: &'a str,
    pub(crate) amount: i64,
    pub(crate) currency: &'a str,
    pub(crate) request: &'a str,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) expires_at: DateTime<Utc>,
    pub(crate) consumed_at: Option<DateTime<Utc>>,
}

impl PaymentFormRow<'_> {
    pub(crate) fn decode(&self) -> Result<PaymentForm, StoreError> {
        Ok(PaymentForm {
            form_token: self.form_token.to_owned(),
            shop_id: ShopId(self.shop_id.to_owned()),
            mode: Mode::parse(self.mode).ok_or_else(|| corrupt("mode", self.mode))?,
            purpose: parse_purpose(self.purpose).ok_or_else(|| corrupt("purpose", self.purpose))?,
            amount: amount_value("payment form amount", self.amount)?,
            currency: Currency::from_alpha_code(self.currency).ok_or_else(|| corrupt("currency", self.currency))?,
            request: serde_json::from_str(self.request)
                .map_err(|error| StoreError::Corrupt(format!("request of payment form: {error}")))?,
            created_at: self.created_at,
            expires_at: self.expires_at,
            consumed_at: self.consumed_at,
        })
    }
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
    fn cpay_option_round_trips_in_details_and_old_rows_read_none() {
        let at = Utc.with_ymd_and_hms(2026, 11, 28, 14, 21, 0).unwrap();
        let transaction = Transaction {
            id: TransactionId("0123456789abcdef0123456789abcdef".into()),
            shop_id: ShopId("12345678".into()),
            reference: "REF1".into(),
            s10_transaction_id: 1,
            kind: TransactionKind::Debit,
            status: TransactionStatus::Captured,
            currency: Currency::EUR,
            origin_amount: Amount(2990),
            amount: Amount(2990),
            refunded_amount: Amount::ZERO,
            capture_mode: CaptureMode::Immediate,
            capture_day: 0,
            capture_date: at.date_naive(),
            created_at: at,
            last_operation: OperationName::Author,
            last_operation_at: at,
            card: None,
            authorisation: AuthorisationDetails::default(),
            order: OrderDetails::default(),
            source_id: None,
            mode: Mode::Test,
            parent_id: None,
            token_id: None,
            subscription_id: None,
            mandate: None,
            cpay_option: Some(CpayOption::Instalments10),
        };
        let row = |details: &str| {
            TransactionRow {
                id: transaction.id.as_str(),
                shop_id: "12345678",
                reference: "REF1",
                s10_transaction_id: 1,
                kind: "DEBIT",
                status: "CAPTURED",
                currency: "EUR",
                origin_amount: 2990,
                amount: 2990,
                refunded_amount: 0,
                capture_mode: "IMMEDIATE",
                capture_day: 0,
                capture_date: at.date_naive(),
                created_at: at,
                last_operation: "AUTHOR",
                last_operation_at: at,
                details,
            }
            .decode()
            .unwrap()
        };
        let details = details_json(&transaction).unwrap();
        assert!(details.contains(r#""cpay_option":"10X""#), "{details}");
        assert_eq!(row(&details), transaction);
        let old = details_json(&Transaction { cpay_option: None, ..transaction.clone() }).unwrap();
        assert!(!old.contains("cpay_option"));
        assert_eq!(row(&old).cpay_option, None);
        assert!(details_changed(&Transaction { cpay_option: None, ..transaction.clone() }, &transaction));
    }

    #[test]
    fn guarded_turns_a_panic_into_an_error() {
        let error = guarded(|| panic!("broken")).unwrap_err();
        assert!(error.to_string().contains("broken"));
        assert_eq!(guarded(|| 5).unwrap(), 5);
    }
}
