//! The error codes caisse answers with, their wire messages, and the one table from core errors
//! to them. Wire messages are the recorded ones where research §4.1 has them, otherwise the doc
//! sentence in lower case without its period (research §8.2).

use crate::json::Object;
use caisse_core::Refusal;
use caisse_core::TransactionStatus;
use caisse_core::payments::{PaymentError, SubscriptionError, TokenError};
use caisse_core::subscription::SubscriptionRefusal;
use caisse_core::token::TokenRefusal;

/// Every code caisse sends, one variant each: adding one forces its message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// Generic invalid input (customer, other objects).
    Int001,
    Int005,
    Int006,
    Int009,
    Int010,
    Int013,
    Int015,
    Int030,
    Int040,
    Int041,
    Int042,
    Int043,
    Int060,
    Int064,
    Int066,
    Int068,
    Int069,
    Int091,
    Int805,
    Int815,
    Int860,
    Int874,
    Int875,
    Int880,
    Int892,
    Int897,
    Int898,
    Int901,
    Int902,
    Int905,
    Int914,
    Psp001,
    Psp010,
    Psp011,
    Psp012,
    Psp015,
    Psp016,
    Psp020,
    Psp030,
    Psp031,
    Psp032,
    Psp033,
    Psp035,
    Psp075,
    Psp076,
    Psp083,
    Psp104,
    Psp105,
    Psp511,
    Psp563,
    Psp565,
    Psp610,
    Psp999,
    Acq001,
    Acq999,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        self.describe().0
    }

    /// The wire `errorMessage`.
    pub fn message(self) -> &'static str {
        self.describe().1
    }

    fn describe(self) -> (&'static str, &'static str) {
        match self {
            ErrorCode::Int001 => ("INT_001", "invalid input parameter"),
            ErrorCode::Int005 => ("INT_005", "invalid manual validation"),
            ErrorCode::Int006 => ("INT_006", "invalid expected capture date"),
            ErrorCode::Int009 => ("INT_009", "invalid amount"),
            ErrorCode::Int010 => ("INT_010", "invalid currency"),
            ErrorCode::Int013 => ("INT_013", "invalid order id"),
            ErrorCode::Int015 => ("INT_015", "invalid customer email"),
            ErrorCode::Int030 => ("INT_030", "invalid payment method token"),
            ErrorCode::Int040 => ("INT_040", "invalid card number"),
            ErrorCode::Int041 => ("INT_041", "invalid expiry month"),
            ErrorCode::Int042 => ("INT_042", "invalid expiry year"),
            ErrorCode::Int043 => ("INT_043", "invalid security code"),
            ErrorCode::Int060 => ("INT_060", "invalid payment source"),
            ErrorCode::Int064 => ("INT_064", "invalid rrule"),
            ErrorCode::Int066 => ("INT_066", "invalid initial amount"),
            ErrorCode::Int068 => ("INT_068", "invalid initial amount number"),
            ErrorCode::Int069 => ("INT_069", "invalid effect date"),
            ErrorCode::Int091 => ("INT_091", "invalid metadata"),
            ErrorCode::Int805 => ("INT_805", "invalid termination date"),
            ErrorCode::Int815 => ("INT_815", "invalid description"),
            ErrorCode::Int860 => ("INT_860", "invalid capture delay"),
            ErrorCode::Int874 => ("INT_874", "payment method type is missing"),
            ErrorCode::Int875 => ("INT_875", "invalid form action"),
            ErrorCode::Int880 => ("INT_880", "initial amount and initial amount number must be given together"),
            ErrorCode::Int892 => ("INT_892", "invalid payment method type"),
            ErrorCode::Int897 => ("INT_897", "invalid subscription id"),
            ErrorCode::Int898 => ("INT_898", "invalid comment"),
            ErrorCode::Int901 => ("INT_901", "web-service not found"),
            ErrorCode::Int902 => ("INT_902", "web-service input data validation error"),
            ErrorCode::Int905 => ("INT_905", "invalid login or private key"),
            ErrorCode::Int914 => ("INT_914", "message too large"),
            ErrorCode::Psp001 => ("PSP_001", "unauthorized action"),
            ErrorCode::Psp010 => ("PSP_010", "transaction not found"),
            ErrorCode::Psp011 => ("PSP_011", "incorrect transaction status"),
            ErrorCode::Psp012 => ("PSP_012", "this transaction already exists"),
            ErrorCode::Psp015 => ("PSP_015", "too many results"),
            ErrorCode::Psp016 => ("PSP_016", "duplication forbidden"),
            ErrorCode::Psp020 => ("PSP_020", "invalid amount"),
            ErrorCode::Psp030 => ("PSP_030", "token not found"),
            ErrorCode::Psp031 => ("PSP_031", "invalid token (canceled, empty, etc.)"),
            ErrorCode::Psp032 => ("PSP_032", "subscriptionId attribute not found"),
            ErrorCode::Psp033 => ("PSP_033", "the rrule attribute is invalid or recurring payment already canceled"),
            ErrorCode::Psp035 => ("PSP_035", "token creation denied"),
            ErrorCode::Psp075 => ("PSP_075", "cancellation impossible, please try a refund"),
            ErrorCode::Psp076 => ("PSP_076", "the refund operation is not yet available, please try to cancel"),
            ErrorCode::Psp083 => ("PSP_083", "refund impossible on an unpaid transaction"),
            ErrorCode::Psp104 => ("PSP_104", "transaction already refunded"),
            ErrorCode::Psp105 => ("PSP_105", "transaction already cancelled"),
            ErrorCode::Psp511 => ("PSP_511", "the sum of refunds exceeds the initial amount"),
            ErrorCode::Psp563 => ("PSP_563", "subscription already exists"),
            ErrorCode::Psp565 => ("PSP_565", "invalid subscription"),
            ErrorCode::Psp610 => ("PSP_610", "No merchant acceptance agreement available"),
            ErrorCode::Psp999 => ("PSP_999", "technical error"),
            ErrorCode::Acq001 => ("ACQ_001", "payment refused"),
            ErrorCode::Acq999 => ("ACQ_999", "technical error"),
        }
    }
}

/// A web service's failure: answered as `V4/WebService/WebServiceError` in an ERROR envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WsError {
    pub code: ErrorCode,
    pub detailed_code: Option<String>,
    pub detailed_message: Option<String>,
}

impl WsError {
    pub fn new(code: ErrorCode) -> WsError {
        WsError { code, detailed_code: None, detailed_message: None }
    }

    pub fn detailed(code: ErrorCode, message: impl Into<String>) -> WsError {
        WsError { code, detailed_code: None, detailed_message: Some(message.into()) }
    }

    /// An input error: `Invalid input value [name=<path>, value=<raw>]` (research §4.1).
    pub fn invalid(code: ErrorCode, name: &str, raw: &str) -> WsError {
        WsError::detailed(code, format!("Invalid input value [name={name}, value={raw}]"))
    }

    /// `answer` of the ERROR envelope. Its `ticket` is the literal string "null", as recorded
    /// (research §0.2.2); `shopId` is `null` when no shop was authenticated.
    pub fn answer(&self, shop_id: Option<&str>) -> Object {
        Object::new()
            .with("errorCode", self.code.as_str())
            .with("errorMessage", self.code.message())
            .with("detailedErrorCode", self.detailed_code.clone())
            .with("detailedErrorMessage", self.detailed_message.clone())
            .with("ticket", "null")
            .with("shopId", shop_id.map(str::to_owned))
            .typed("V4/WebService/WebServiceError")
    }
}

/// The operation a core refusal answers, which decides its code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// A new transaction (authorisation, payment by token, duplicate).
    Payment,
    Cancel,
    Refund,
    Validate,
    Update,
    Capture,
}

/// The code for an operation the transaction's status does not allow (research §2.6–2.8).
pub fn wrong_status(operation: Operation, status: TransactionStatus) -> WsError {
    use TransactionStatus as S;
    let code = match (operation, status) {
        (_, S::Cancelled) => ErrorCode::Psp105,
        (Operation::Refund, S::Credited) => ErrorCode::Psp104,
        (Operation::Cancel, S::Captured | S::Credited) => ErrorCode::Psp075,
        (Operation::Refund, S::ToCapture | S::ToValidate | S::ToAuthorize | S::ToChallenge) => ErrorCode::Psp076,
        (Operation::Refund, S::Refused | S::Expired | S::Aborted | S::RefusedOnChallenge | S::CaptureRefused) => {
            ErrorCode::Psp083
        }
        (
            Operation::Payment
            | Operation::Cancel
            | Operation::Refund
            | Operation::Validate
            | Operation::Update
            | Operation::Capture,
            S::ToAuthorize
            | S::ToValidate
            | S::ToCapture
            | S::ToChallenge
            | S::Captured
            | S::ToCredit
            | S::Credited
            | S::Refused
            | S::Expired
            | S::Aborted
            | S::CaptureRefused
            | S::CreditRefused
            | S::Pending
            | S::ToReplay
            | S::RefusedOnChallenge
            | S::Undefined,
        ) => ErrorCode::Psp011,
    };
    WsError::new(code)
}

/// A core refusal of a cash operation.
pub fn of_refusal(operation: Operation, refusal: Refusal) -> WsError {
    match refusal {
        Refusal::WrongStatus(status) => wrong_status(operation, status),
        Refusal::ExceedsRemaining { remaining } => match operation {
            Operation::Refund => WsError::detailed(
                ErrorCode::Psp511,
                format!("the amount exceeds the {} that remains to refund", remaining.minor_units()),
            ),
            Operation::Payment | Operation::Cancel | Operation::Validate | Operation::Update | Operation::Capture => {
                WsError::detailed(
                    ErrorCode::Psp020,
                    format!("the amount exceeds the {} of the transaction", remaining.minor_units()),
                )
            }
        },
        Refusal::ZeroAmount => WsError::invalid(ErrorCode::Int009, "amount", "0"),
        Refusal::CurrencyMismatch => {
            WsError::detailed(ErrorCode::Int010, "the currency differs from the transaction's")
        }
        Refusal::RefundWindowClosed => {
            WsError::detailed(ErrorCode::Psp001, "this payment option refunds only on the day of payment")
        }
    }
}

pub fn of_payment(operation: Operation, error: PaymentError) -> WsError {
    match error {
        PaymentError::UnknownTransaction => WsError::new(ErrorCode::Psp010),
        PaymentError::DuplicateReference => WsError::new(ErrorCode::Psp012),
        PaymentError::Refused(refusal) => of_refusal(operation, refusal),
        PaymentError::AcquirerUnavailable(code) => acquirer_unavailable(code),
        PaymentError::NoCard => WsError::detailed(ErrorCode::Psp016, "the transaction has no card to use again"),
        PaymentError::Store(error) => technical(&error),
    }
}

/// The acquirer could not be reached: nothing was stored, so there is no transaction to show.
pub fn acquirer_unavailable(code: String) -> WsError {
    WsError {
        code: ErrorCode::Acq999,
        detailed_code: Some(code),
        detailed_message: Some("the acquirer could not be reached; nothing was recorded".into()),
    }
}

/// A store failure: logged here, never sent (PSP_999 without detail).
pub fn technical(error: &dyn std::fmt::Display) -> WsError {
    tracing::error!(%error, "store failure");
    WsError::new(ErrorCode::Psp999)
}

pub fn of_token(error: TokenError) -> WsError {
    match error {
        TokenError::NotFound => WsError::new(ErrorCode::Psp030),
        TokenError::NotUsable => WsError::new(ErrorCode::Psp031),
        TokenError::Refused(TokenRefusal::AlreadyCancelled) => WsError::new(ErrorCode::Psp031),
        TokenError::Refused(TokenRefusal::NotACard) => {
            WsError::detailed(ErrorCode::Psp001, "the token holds a SEPA mandate, not a card")
        }
        TokenError::Refused(TokenRefusal::AlreadyActive) => {
            WsError::detailed(ErrorCode::Psp001, "the token is already active")
        }
        TokenError::VerificationRefused(code) => WsError {
            code: ErrorCode::Psp035,
            detailed_code: Some(code),
            detailed_message: Some("the card verification was refused".into()),
        },
        TokenError::Payment(error) => of_payment(Operation::Payment, error),
    }
}

pub fn of_subscription(error: SubscriptionError) -> WsError {
    match error {
        SubscriptionError::NotFound => WsError::new(ErrorCode::Psp032),
        SubscriptionError::TokenNotFound => WsError::new(ErrorCode::Psp030),
        SubscriptionError::TokenNotUsable => WsError::new(ErrorCode::Psp031),
        SubscriptionError::Rule(error) => WsError::detailed(ErrorCode::Int064, error.to_string()),
        SubscriptionError::Refused(SubscriptionRefusal::AlreadyCancelled) => WsError::new(ErrorCode::Psp033),
        SubscriptionError::Refused(SubscriptionRefusal::AlreadyStarted) => {
            WsError::detailed(ErrorCode::Psp565, "the effect date has passed: a started subscription cannot be changed")
        }
        SubscriptionError::Payment(error) => of_payment(Operation::Payment, error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::to_text;

    #[test]
    fn codes_are_prefixed_and_short() {
        for code in [ErrorCode::Int902, ErrorCode::Psp010, ErrorCode::Acq001, ErrorCode::Psp999] {
            assert_eq!(code.as_str().len(), 7);
            assert!(!code.message().ends_with('.'));
        }
    }

    #[test]
    fn error_answer_shape() {
        let answer = WsError::new(ErrorCode::Psp010).answer(Some("69876357"));
        assert_eq!(
            to_text(&answer),
            r#"{"errorCode":"PSP_010","errorMessage":"transaction not found","detailedErrorCode":null,"detailedErrorMessage":null,"ticket":"null","shopId":"69876357","_type":"V4/WebService/WebServiceError"}"#
        );
        let invalid = WsError::invalid(ErrorCode::Int009, "amount", "-1");
        assert_eq!(invalid.detailed_message.as_deref(), Some("Invalid input value [name=amount, value=-1]"));
    }

    #[test]
    fn status_refusals() {
        let code = |operation, status| wrong_status(operation, status).code;
        assert_eq!(code(Operation::Cancel, TransactionStatus::Captured), ErrorCode::Psp075);
        assert_eq!(code(Operation::Refund, TransactionStatus::ToCapture), ErrorCode::Psp076);
        assert_eq!(code(Operation::Refund, TransactionStatus::Refused), ErrorCode::Psp083);
        assert_eq!(code(Operation::Refund, TransactionStatus::Credited), ErrorCode::Psp104);
        assert_eq!(code(Operation::Refund, TransactionStatus::Cancelled), ErrorCode::Psp105);
        assert_eq!(code(Operation::Cancel, TransactionStatus::Cancelled), ErrorCode::Psp105);
        assert_eq!(code(Operation::Validate, TransactionStatus::ToCapture), ErrorCode::Psp011);
    }

    #[test]
    fn a_closed_cpay_refund_window_is_an_unauthorized_action() {
        let error = of_refusal(Operation::Refund, Refusal::RefundWindowClosed);
        assert_eq!(error.code, ErrorCode::Psp001);
        assert!(error.detailed_message.is_some_and(|message| message.contains("day of payment")));
    }
}
