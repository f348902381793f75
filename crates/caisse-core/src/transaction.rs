//! The transaction and its one state machine. Every transition is a pure function from the
//! current transaction to the next one plus the operation that records it; the store runs it
//! inside a database transaction with the row locked, so the rules below hold under any
//! concurrency.

use crate::card::CardSummary;
use crate::money::{Amount, Currency};
use crate::operation::{Operation, OperationName};
use crate::shop::{Mode, ShopId};
use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// 32 lowercase hex digits, unique across shops (REST V4 shows it as `uuid`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TransactionId(pub String);

impl TransactionId {
    pub fn new() -> TransactionId {
        TransactionId(new_uuid())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for TransactionId {
    fn default() -> Self {
        TransactionId::new()
    }
}

impl fmt::Debug for TransactionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TransactionId({})", self.0)
    }
}

/// A new 32-hex-digit id. Time-ordered (UUIDv7) so that inserts append to the end of the
/// stores' indexes instead of touching a random page each: fewer pages written per commit.
pub fn new_uuid() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// The ways a merchant names one of its transactions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransactionKey {
    /// Sips `transactionReference`, unique per shop.
    Reference(String),
    /// Sips `s10TransactionReference`: a 6-digit id unique per shop and day.
    S10 { id: u32, date: NaiveDate },
    /// REST V4 `uuid`.
    Id(TransactionId),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TransactionKind {
    Debit,
    Credit,
    Verification,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CaptureMode {
    /// Captured by the batch `capture_day` days after authorisation.
    AuthorCapture,
    /// Waits for the merchant's validation, at most `capture_day` days, else expires.
    Validation,
    /// Captured at once.
    Immediate,
}

impl CaptureMode {
    pub const MAX_CAPTURE_DAY: u8 = 99;

    pub fn as_str(self) -> &'static str {
        match self {
            CaptureMode::AuthorCapture => "AUTHOR_CAPTURE",
            CaptureMode::Validation => "VALIDATION",
            CaptureMode::Immediate => "IMMEDIATE",
        }
    }

    pub fn parse(text: &str) -> Option<CaptureMode> {
        match text {
            "AUTHOR_CAPTURE" => Some(CaptureMode::AuthorCapture),
            "VALIDATION" => Some(CaptureMode::Validation),
            "IMMEDIATE" => Some(CaptureMode::Immediate),
            _ => None,
        }
    }
}

/// Statuses in Sips' `transactionStatus` vocabulary; REST V4 and the Form API map them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TransactionStatus {
    ToAuthorize,
    ToValidate,
    ToCapture,
    ToChallenge,
    Captured,
    ToCredit,
    Credited,
    Cancelled,
    Refused,
    Expired,
    Aborted,
    CaptureRefused,
    CreditRefused,
    Pending,
    ToReplay,
    RefusedOnChallenge,
    Undefined,
}

impl TransactionStatus {
    pub const ALL: [TransactionStatus; 17] = [
        TransactionStatus::ToAuthorize,
        TransactionStatus::ToValidate,
        TransactionStatus::ToCapture,
        TransactionStatus::ToChallenge,
        TransactionStatus::Captured,
        TransactionStatus::ToCredit,
        TransactionStatus::Credited,
        TransactionStatus::Cancelled,
        TransactionStatus::Refused,
        TransactionStatus::Expired,
        TransactionStatus::Aborted,
        TransactionStatus::CaptureRefused,
        TransactionStatus::CreditRefused,
        TransactionStatus::Pending,
        TransactionStatus::ToReplay,
        TransactionStatus::RefusedOnChallenge,
        TransactionStatus::Undefined,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TransactionStatus::ToAuthorize => "TO_AUTHORIZE",
            TransactionStatus::ToValidate => "TO_VALIDATE",
            TransactionStatus::ToCapture => "TO_CAPTURE",
            TransactionStatus::ToChallenge => "TO_CHALLENGE",
            TransactionStatus::Captured => "CAPTURED",
            TransactionStatus::ToCredit => "TO_CREDIT",
            TransactionStatus::Credited => "CREDITED",
            TransactionStatus::Cancelled => "CANCELLED",
            TransactionStatus::Refused => "REFUSED",
            TransactionStatus::Expired => "EXPIRED",
            TransactionStatus::Aborted => "ABORTED",
            TransactionStatus::CaptureRefused => "CAPTURE_REFUSED",
            TransactionStatus::CreditRefused => "CREDIT_REFUSED",
            TransactionStatus::Pending => "PENDING",
            TransactionStatus::ToReplay => "TO_REPLAY",
            TransactionStatus::RefusedOnChallenge => "REFUSED_ON_CHALLENGE",
            TransactionStatus::Undefined => "UNDEFINED",
        }
    }

    pub fn parse(text: &str) -> Option<TransactionStatus> {
        TransactionStatus::ALL.into_iter().find(|status| status.as_str() == text)
    }

    /// Statuses in which the money has not left for the bank yet: cancel applies.
    pub fn is_cancellable(self) -> bool {
        matches!(
            self,
            TransactionStatus::ToCapture
                | TransactionStatus::ToValidate
                | TransactionStatus::ToAuthorize
                | TransactionStatus::ToChallenge
        )
    }
}

/// Merchant-side context of a transaction: stored to be read back and echoed, never used to
/// decide anything.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_ip_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_channel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_pattern: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_context: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_origin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement_reference: Option<String>,
    /// Protocol-specific fields kept verbatim to echo them back (containers, vads_ fields…).
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// What the acquirer and 3-D Secure said when the transaction was authorised.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorisationDetails {
    /// The acquirer's 2-digit answer ("00" accepted).
    pub acquirer_response_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorisation_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guarantee_indicator: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder_authent_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_csc_result_code: Option<String>,
    /// The network's reference of the authorisation (chaining of later payments by token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_transaction_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    pub id: TransactionId,
    pub shop_id: ShopId,
    /// Sips `transactionReference`, unique per shop.
    pub reference: String,
    /// Sips `s10TransactionId`, assigned by the store at insertion; unique per shop and day.
    pub s10_transaction_id: u32,
    pub kind: TransactionKind,
    pub status: TransactionStatus,
    pub currency: Currency,
    /// Amount asked and authorised at creation; never changes.
    pub origin_amount: Amount,
    /// Amount that is or will be captured: lowered by partial cancels and by validation.
    pub amount: Amount,
    /// Sum of refunds on a captured debit; never above `amount`.
    pub refunded_amount: Amount,
    pub capture_mode: CaptureMode,
    pub capture_day: u8,
    /// AUTHOR_CAPTURE and validated: the day the batch captures it. VALIDATION: the last day
    /// to validate it before it expires.
    pub capture_date: NaiveDate,
    pub created_at: DateTime<Utc>,
    pub last_operation: OperationName,
    pub last_operation_at: DateTime<Utc>,
    pub card: Option<CardSummary>,
    pub authorisation: AuthorisationDetails,
    pub order: OrderDetails,
    /// The transaction this one was duplicated from.
    pub source_id: Option<TransactionId>,
    /// TEST or PRODUCTION: the credentials the request that created it used.
    #[serde(default)]
    pub mode: Mode,
    /// For a refund's CREDIT transaction: the captured debit it returns money from.
    #[serde(default)]
    pub parent_id: Option<TransactionId>,
    /// The payment method token (REST V4 `paymentMethodToken`) it was paid with or created.
    #[serde(default)]
    pub token_id: Option<String>,
    /// The subscription whose installment it is.
    #[serde(default)]
    pub subscription_id: Option<String>,
    /// For a SEPA direct debit (and its refunds): the mandate it draws on. Such a
    /// transaction has no card.
    #[serde(default)]
    pub mandate: Option<crate::token::SepaMandate>,
    /// A Cpay payment: the option the buyer chose. It decides which days a refund is allowed.
    #[serde(default)]
    pub cpay_option: Option<crate::cpay::CpayOption>,
}

/// Why an operation is not allowed. Nothing has changed when one of these is returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("operation not allowed in status {0:?}")]
    WrongStatus(TransactionStatus),
    #[error("amount over the {remaining} that remains")]
    ExceedsRemaining { remaining: Amount },
    #[error("operation amount is zero")]
    ZeroAmount,
    #[error("currency differs from the transaction's")]
    CurrencyMismatch,
    /// A Cpay instalment plan refunds only on the day of payment.
    #[error("refund allowed only on the day of payment")]
    RefundWindowClosed,
}

/// A transition's result: the transaction as it becomes and the operation that records it,
/// plus, for a refund, the new CREDIT transaction that carries the money back (stored in the
/// same database transaction).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transition {
    pub updated: Transaction,
    pub operation: Operation,
    pub spawned: Option<(Transaction, Operation)>,
}

impl Transition {
    /// Records the acquirer's answer to the operation, and to the CREDIT transaction a refund
    /// spawned (its authorisation is the refund's).
    pub fn record_acquirer_answer(&mut self, code: &str, authorisation_id: Option<&str>) {
        self.operation.acquirer_response_code = Some(code.to_owned());
        self.operation.authorisation_id = authorisation_id.map(str::to_owned);
        if let Some((credit, operation)) = &mut self.spawned {
            credit.authorisation.acquirer_response_code = code.to_owned();
            credit.authorisation.authorisation_id = authorisation_id.map(str::to_owned);
            operation.acquirer_response_code = Some(code.to_owned());
            operation.authorisation_id = authorisation_id.map(str::to_owned);
        }
    }
}

impl Transaction {
    /// What remains that a refund may still return.
    pub fn refundable(&self) -> Amount {
        self.amount.checked_sub(self.refunded_amount).unwrap_or(Amount::ZERO)
    }

    /// The invariants every stored transaction keeps. Asserted before and after each
    /// transition: a failure is a bug, not bad input.
    pub fn assert_invariants(&self) {
        assert!(self.amount <= self.origin_amount, "amount above the authorised amount");
        assert!(self.refunded_amount <= self.amount, "refunds above the captured amount");
        assert!(self.capture_day <= CaptureMode::MAX_CAPTURE_DAY);
        assert!(self.card.is_none() || self.mandate.is_none(), "paid by card and by SEPA mandate at once");
        if self.refunded_amount > Amount::ZERO {
            assert!(
                matches!(self.status, TransactionStatus::Captured | TransactionStatus::Credited),
                "refunds on a transaction that was never captured"
            );
        }
        if self.status == TransactionStatus::Credited && self.kind == TransactionKind::Debit {
            assert_eq!(self.refunded_amount, self.amount, "credited before full refund");
        }
    }

    fn record(&self, next: Transaction, name: OperationName, amount: Amount, now: DateTime<Utc>) -> Transition {
        next.assert_invariants();
        let operation = Operation::new(self.id.clone(), name, amount, now);
        let mut updated = next;
        updated.last_operation = name;
        updated.last_operation_at = now;
        Transition { updated, operation, spawned: None }
    }
}

fn check_currency(tx: &Transaction, currency: Currency) -> Result<(), Refusal> {
    if tx.currency == currency { Ok(()) } else { Err(Refusal::CurrencyMismatch) }
}

/// The day a transaction authorised at `at` with `capture_day` is captured (AUTHOR_CAPTURE) or
/// must be validated by (VALIDATION).
pub fn capture_date(at: DateTime<Utc>, capture_day: u8) -> NaiveDate {
    at.date_naive().checked_add_days(Days::new(u64::from(capture_day))).unwrap_or(NaiveDate::MAX)
}

/// The status an accepted authorisation starts in.
pub fn status_after_authorisation(kind: TransactionKind, mode: CaptureMode) -> TransactionStatus {
    match (kind, mode) {
        (TransactionKind::Credit, _) => TransactionStatus::ToCredit,
        (TransactionKind::Verification, _) => TransactionStatus::Captured,
        (TransactionKind::Debit, CaptureMode::Validation) => TransactionStatus::ToValidate,
        (TransactionKind::Debit, CaptureMode::AuthorCapture) => TransactionStatus::ToCapture,
        (TransactionKind::Debit, CaptureMode::Immediate) => TransactionStatus::Captured,
    }
}

/// Cancel `amount` of a transaction that has not gone to the bank. The whole remaining amount
/// cancels it; less lowers its amount and keeps its status.
pub fn cancel(tx: &Transaction, amount: Amount, currency: Currency, now: DateTime<Utc>) -> Result<Transition, Refusal> {
    tx.assert_invariants();
    check_currency(tx, currency)?;
    if !tx.status.is_cancellable() {
        return Err(Refusal::WrongStatus(tx.status));
    }
    if amount.is_zero() {
        return Err(Refusal::ZeroAmount);
    }
    let remaining = tx.amount.checked_sub(amount).ok_or(Refusal::ExceedsRemaining { remaining: tx.amount })?;
    let mut next = tx.clone();
    next.amount = remaining;
    if remaining.is_zero() {
        next.status = TransactionStatus::Cancelled;
    }
    let transition = tx.record(next, OperationName::Cancel, amount, now);
    assert!(transition.updated.amount < tx.amount);
    Ok(transition)
}

/// Validate `amount` (at most what is authorised) of a transaction waiting for validation; the
/// rest is released and it is captured by the next batch.
pub fn validate(
    tx: &Transaction,
    amount: Amount,
    currency: Currency,
    now: DateTime<Utc>,
) -> Result<Transition, Refusal> {
    tx.assert_invariants();
    check_currency(tx, currency)?;
    if tx.status != TransactionStatus::ToValidate {
        return Err(Refusal::WrongStatus(tx.status));
    }
    if amount.is_zero() {
        return Err(Refusal::ZeroAmount);
    }
    if amount > tx.amount {
        return Err(Refusal::ExceedsRemaining { remaining: tx.amount });
    }
    let mut next = tx.clone();
    next.amount = amount;
    next.status = TransactionStatus::ToCapture;
    next.capture_date = now.date_naive();
    let transition = tx.record(next, OperationName::Validate, amount, now);
    assert!(transition.updated.amount <= tx.amount);
    Ok(transition)
}

/// Refund `amount` of a captured debit. Refunds never exceed what was captured; the last one
/// makes it CREDITED.
pub fn refund(tx: &Transaction, amount: Amount, currency: Currency, now: DateTime<Utc>) -> Result<Transition, Refusal> {
    tx.assert_invariants();
    check_currency(tx, currency)?;
    if tx.status != TransactionStatus::Captured || tx.kind != TransactionKind::Debit {
        return Err(Refusal::WrongStatus(tx.status));
    }
    if amount.is_zero() {
        return Err(Refusal::ZeroAmount);
    }
    if tx.cpay_option.is_some_and(|option| !option.refundable_any_day())
        && now.date_naive() != tx.created_at.date_naive()
    {
        return Err(Refusal::RefundWindowClosed);
    }
    let remaining = tx.refundable();
    if amount > remaining {
        return Err(Refusal::ExceedsRemaining { remaining });
    }
    let mut next = tx.clone();
    next.refunded_amount = tx.refunded_amount.checked_add(amount).ok_or(Refusal::ExceedsRemaining { remaining })?;
    if next.refunded_amount == next.amount {
        next.status = TransactionStatus::Credited;
    }
    let mut transition = tx.record(next, OperationName::Refund, amount, now);
    assert!(transition.updated.refunded_amount > tx.refunded_amount);
    transition.spawned = Some(credit_for_refund(tx, &transition.operation, now));
    Ok(transition)
}

/// The CREDIT transaction a refund creates: its own id (REST V4 shows it as the refund's
/// `uuid`, with `parentTransactionUuid`), settled by the next capture batch like any credit.
/// Its reference is its id behind a prefix with a `-`, which a merchant's transactionReference
/// (letters and digits) cannot contain: the two never clash.
fn credit_for_refund(parent: &Transaction, refund: &Operation, now: DateTime<Utc>) -> (Transaction, Operation) {
    let id = TransactionId(refund.id.clone());
    let credit = Transaction {
        id: id.clone(),
        shop_id: parent.shop_id.clone(),
        reference: format!("{CREDIT_REFERENCE_PREFIX}{}", id.as_str()),
        s10_transaction_id: 0,
        kind: TransactionKind::Credit,
        status: TransactionStatus::ToCredit,
        currency: parent.currency,
        origin_amount: refund.amount,
        amount: refund.amount,
        refunded_amount: Amount::ZERO,
        capture_mode: CaptureMode::AuthorCapture,
        capture_day: 0,
        capture_date: now.date_naive(),
        created_at: now,
        last_operation: OperationName::CreditFromTransaction,
        last_operation_at: now,
        card: parent.card.clone(),
        authorisation: AuthorisationDetails {
            acquirer_response_code: refund.acquirer_response_code.clone().unwrap_or_else(|| "00".into()),
            authorisation_id: refund.authorisation_id.clone(),
            ..AuthorisationDetails::default()
        },
        order: parent.order.clone(),
        source_id: None,
        mode: parent.mode,
        parent_id: Some(parent.id.clone()),
        token_id: parent.token_id.clone(),
        subscription_id: None,
        mandate: parent.mandate.clone(),
        cpay_option: None,
    };
    credit.assert_invariants();
    let mut operation = Operation::new(id, OperationName::CreditFromTransaction, refund.amount, now);
    operation.acquirer_response_code = refund.acquirer_response_code.clone();
    operation.authorisation_id = refund.authorisation_id.clone();
    (credit, operation)
}

/// References of refund credits start with this; a merchant's own are letters and digits only.
pub const CREDIT_REFERENCE_PREFIX: &str = "credit-";

/// REST V4 `Transaction/Update`: lower the amount still to capture (never raise it), move the
/// expected capture date, or turn manual validation off. Only before capture.
pub fn update(
    tx: &Transaction,
    amount: Option<Amount>,
    capture_date: Option<NaiveDate>,
    validate_automatically: bool,
    now: DateTime<Utc>,
) -> Result<Transition, Refusal> {
    tx.assert_invariants();
    if !matches!(tx.status, TransactionStatus::ToCapture | TransactionStatus::ToValidate) {
        return Err(Refusal::WrongStatus(tx.status));
    }
    let mut next = tx.clone();
    let mut lowered_by = Amount::ZERO;
    if let Some(amount) = amount {
        if amount.is_zero() {
            return Err(Refusal::ZeroAmount);
        }
        lowered_by = tx.amount.checked_sub(amount).ok_or(Refusal::ExceedsRemaining { remaining: tx.amount })?;
        next.amount = amount;
    }
    if let Some(date) = capture_date {
        next.capture_date = date;
    }
    if validate_automatically && tx.status == TransactionStatus::ToValidate {
        next.status = TransactionStatus::ToCapture;
        next.capture_mode = CaptureMode::AuthorCapture;
    }
    let transition = tx.record(next, OperationName::Update, lowered_by, now);
    assert!(transition.updated.amount <= tx.amount);
    Ok(transition)
}

/// What the capture batch does to one transaction on `today`: capture what is due, credit
/// pending credits, expire what was not validated in time. `None`: nothing to do.
pub fn settle(tx: &Transaction, today: NaiveDate, now: DateTime<Utc>) -> Option<Transition> {
    tx.assert_invariants();
    let mut next = tx.clone();
    let name = match tx.status {
        TransactionStatus::ToCapture if tx.capture_date <= today => {
            next.status = TransactionStatus::Captured;
            OperationName::Capture
        }
        TransactionStatus::ToValidate if tx.capture_date < today => {
            next.status = TransactionStatus::Expired;
            OperationName::Expire
        }
        TransactionStatus::ToCredit => {
            next.status = TransactionStatus::Credited;
            OperationName::CreditCapture
        }
        _ => return None,
    };
    Some(tx.record(next, name, tx.amount, now))
}

#[cfg(test)]
mod tests;
