//! `responseCode`: the dictionary (seeds/sogenactif-office-paymentTokenGenerate.txt) and the
//! one table from the core's errors to it. Nothing else in the crate picks a code for a
//! core outcome.

use caisse_core::Refusal;
use caisse_core::payment_token::PaymentTokenRefusal;
use caisse_core::payments::PaymentError;
use caisse_core::payments::payment_tokens::PaymentTokenError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResponseCode {
    /// 00 operation accepted.
    Accepted,
    /// 01 partial success (panToToken / tokenToPan).
    PartialSuccess,
    /// 02 authorisation by telephone with the issuer (card threshold exceeded).
    ReferToIssuer,
    /// 03 invalid merchant contract.
    InvalidMerchant,
    /// 05 authorisation refused.
    Refused,
    /// 11 PAN blocked (deferred check).
    PanBlocked,
    /// 12 invalid transaction: a field is missing or inconsistent (with `errorFieldName`).
    InvalidTransaction,
    /// 14 invalid PAN or payment mean data.
    InvalidCard,
    /// 17 customer cancellation.
    CustomerCancellation,
    /// 24 operation not allowed in this status, or over the remaining amount.
    NotAllowed,
    /// 25 transaction unknown.
    UnknownTransaction,
    /// 30 format error (with `errorFieldName`).
    FormatError,
    /// 34 fraud suspicion: wrong seal or key version.
    SealError,
    /// 40 function not enabled for the shop.
    NotEnabled,
    /// 51 amount too high.
    AmountTooHigh,
    /// 54 card expired.
    CardExpired,
    /// 55 prepaid cards not accepted.
    PrepaidRefused,
    /// 57 refund refused: the original transaction was unpaid.
    RefundOfUnpaid,
    /// 60 transaction pending.
    Pending,
    /// 62 waiting for confirmation (PayPal 1.0).
    WaitingConfirmation,
    /// 63 security rules not observed.
    SecurityRules,
    /// 75 too many attempts.
    TooManyAttempts,
    /// 90 service temporarily unavailable.
    ServiceUnavailable,
    /// 94 transactionReference already used.
    DuplicateTransaction,
    /// 97 session expired.
    SessionExpired,
    /// 99 temporary problem of the payment server.
    ServerProblem,
}

impl ResponseCode {
    pub const ALL: [ResponseCode; 26] = [
        ResponseCode::Accepted,
        ResponseCode::PartialSuccess,
        ResponseCode::ReferToIssuer,
        ResponseCode::InvalidMerchant,
        ResponseCode::Refused,
        ResponseCode::PanBlocked,
        ResponseCode::InvalidTransaction,
        ResponseCode::InvalidCard,
        ResponseCode::CustomerCancellation,
        ResponseCode::NotAllowed,
        ResponseCode::UnknownTransaction,
        ResponseCode::FormatError,
        ResponseCode::SealError,
        ResponseCode::NotEnabled,
        ResponseCode::AmountTooHigh,
        ResponseCode::CardExpired,
        ResponseCode::PrepaidRefused,
        ResponseCode::RefundOfUnpaid,
        ResponseCode::Pending,
        ResponseCode::WaitingConfirmation,
        ResponseCode::SecurityRules,
        ResponseCode::TooManyAttempts,
        ResponseCode::ServiceUnavailable,
        ResponseCode::DuplicateTransaction,
        ResponseCode::SessionExpired,
        ResponseCode::ServerProblem,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ResponseCode::Accepted => "00",
            ResponseCode::PartialSuccess => "01",
            ResponseCode::ReferToIssuer => "02",
            ResponseCode::InvalidMerchant => "03",
            ResponseCode::Refused => "05",
            ResponseCode::PanBlocked => "11",
            ResponseCode::InvalidTransaction => "12",
            ResponseCode::InvalidCard => "14",
            ResponseCode::CustomerCancellation => "17",
            ResponseCode::NotAllowed => "24",
            ResponseCode::UnknownTransaction => "25",
            ResponseCode::FormatError => "30",
            ResponseCode::SealError => "34",
            ResponseCode::NotEnabled => "40",
            ResponseCode::AmountTooHigh => "51",
            ResponseCode::CardExpired => "54",
            ResponseCode::PrepaidRefused => "55",
            ResponseCode::RefundOfUnpaid => "57",
            ResponseCode::Pending => "60",
            ResponseCode::WaitingConfirmation => "62",
            ResponseCode::SecurityRules => "63",
            ResponseCode::TooManyAttempts => "75",
            ResponseCode::ServiceUnavailable => "90",
            ResponseCode::DuplicateTransaction => "94",
            ResponseCode::SessionExpired => "97",
            ResponseCode::ServerProblem => "99",
        }
    }

    pub fn parse(code: &str) -> Option<ResponseCode> {
        ResponseCode::ALL.into_iter().find(|candidate| candidate.as_str() == code)
    }

    /// The responseCode of an authorisation the acquirer answered with `acquirer_code`: 00
    /// when accepted; a refusal keeps the acquirer's code when the dictionary has it (05, 51,
    /// 54, 14…) and is 05 otherwise.
    pub fn of_authorisation(acquirer_code: &str) -> ResponseCode {
        match ResponseCode::parse(acquirer_code) {
            Some(code) => code,
            None => ResponseCode::Refused,
        }
    }
}

/// A failed call as the merchant sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Failure {
    pub code: ResponseCode,
    /// The request field at fault; only with codes 12 and 30.
    pub error_field: Option<&'static str>,
}

impl Failure {
    pub fn code(code: ResponseCode) -> Failure {
        Failure { code, error_field: None }
    }
}

/// The table: every core error to its responseCode.
pub fn of_payment_error(error: &PaymentError) -> Failure {
    match error {
        PaymentError::UnknownTransaction => Failure::code(ResponseCode::UnknownTransaction),
        PaymentError::DuplicateReference => Failure::code(ResponseCode::DuplicateTransaction),
        PaymentError::Refused(refusal) => of_refusal(*refusal),
        PaymentError::AcquirerUnavailable(code) if code == "90" => Failure::code(ResponseCode::ServiceUnavailable),
        PaymentError::AcquirerUnavailable(_) => Failure::code(ResponseCode::ServerProblem),
        // A duplicate of a transaction that has no card: not allowed for that transaction.
        PaymentError::NoCard => Failure::code(ResponseCode::NotAllowed),
        // Internals are logged by the caller, never sent; the merchant may retry.
        PaymentError::Store(_) => Failure::code(ResponseCode::ServerProblem),
    }
}

/// Payment tokens (docs/sips-choices.md): a garbled token is a format error, a forged,
/// unknown or other merchant's one an invalid field (one answer for the three), an expired
/// one a session expiry, a spent one an operation already carried out.
pub fn of_payment_token_error(error: &PaymentTokenError) -> Failure {
    const TOKEN: Option<&str> = Some("paymentToken");
    match error {
        PaymentTokenError::Refused(PaymentTokenRefusal::Garbled) => {
            Failure { code: ResponseCode::FormatError, error_field: TOKEN }
        }
        PaymentTokenError::Refused(PaymentTokenRefusal::NotValid) => {
            Failure { code: ResponseCode::InvalidTransaction, error_field: TOKEN }
        }
        PaymentTokenError::Refused(PaymentTokenRefusal::Expired) => Failure::code(ResponseCode::SessionExpired),
        PaymentTokenError::Refused(PaymentTokenRefusal::Used) => Failure::code(ResponseCode::NotAllowed),
        PaymentTokenError::InvalidCard => Failure::code(ResponseCode::InvalidCard),
        PaymentTokenError::CardExpired => Failure::code(ResponseCode::CardExpired),
        PaymentTokenError::BrandNotOnCard => {
            Failure { code: ResponseCode::InvalidTransaction, error_field: Some("paymentMeanBrand") }
        }
        PaymentTokenError::UnknownConsumer => {
            Failure { code: ResponseCode::InvalidTransaction, error_field: Some("paymentTokenConsumerMerchantId") }
        }
        PaymentTokenError::Payment(error) => of_payment_error(error),
    }
}

fn of_refusal(refusal: Refusal) -> Failure {
    match refusal {
        Refusal::WrongStatus(_) => Failure::code(ResponseCode::NotAllowed),
        Refusal::ExceedsRemaining { .. } => Failure::code(ResponseCode::NotAllowed),
        // Only cash operations refuse a zero amount, and their amount is operationAmount.
        // The field readers refuse it first; this keeps the table total.
        Refusal::ZeroAmount => Failure { code: ResponseCode::FormatError, error_field: Some("operationAmount") },
        Refusal::CurrencyMismatch => {
            Failure { code: ResponseCode::InvalidTransaction, error_field: Some("currencyCode") }
        }
        Refusal::RefundWindowClosed => Failure::code(ResponseCode::NotAllowed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use caisse_core::ports::StoreError;
    use caisse_core::{Amount, TransactionStatus};

    #[test]
    fn dictionary_round_trips() {
        for code in ResponseCode::ALL {
            assert_eq!(code.as_str().len(), 2);
            assert_eq!(ResponseCode::parse(code.as_str()), Some(code));
        }
        assert_eq!(ResponseCode::parse("13"), None);
    }

    #[test]
    fn authorisation_codes() {
        assert_eq!(ResponseCode::of_authorisation("00"), ResponseCode::Accepted);
        assert_eq!(ResponseCode::of_authorisation("05"), ResponseCode::Refused);
        assert_eq!(ResponseCode::of_authorisation("51"), ResponseCode::AmountTooHigh);
        assert_eq!(ResponseCode::of_authorisation("54"), ResponseCode::CardExpired);
        assert_eq!(ResponseCode::of_authorisation("14"), ResponseCode::InvalidCard);
        assert_eq!(ResponseCode::of_authorisation("13"), ResponseCode::Refused);
        assert_eq!(ResponseCode::of_authorisation("A1"), ResponseCode::Refused);
    }

    #[test]
    fn core_errors() {
        let code = |error: PaymentError| of_payment_error(&error);
        assert_eq!(code(PaymentError::UnknownTransaction).code.as_str(), "25");
        assert_eq!(code(PaymentError::DuplicateReference).code.as_str(), "94");
        assert_eq!(code(PaymentError::Refused(Refusal::WrongStatus(TransactionStatus::Cancelled))).code.as_str(), "24");
        assert_eq!(code(PaymentError::Refused(Refusal::ExceedsRemaining { remaining: Amount(1) })).code.as_str(), "24");
        assert_eq!(
            code(PaymentError::Refused(Refusal::CurrencyMismatch)),
            Failure { code: ResponseCode::InvalidTransaction, error_field: Some("currencyCode") }
        );
        assert_eq!(code(PaymentError::AcquirerUnavailable("90".into())).code.as_str(), "90");
        assert_eq!(code(PaymentError::AcquirerUnavailable("99".into())).code.as_str(), "99");
        assert_eq!(code(PaymentError::NoCard).code.as_str(), "24");
        assert_eq!(code(PaymentError::Refused(Refusal::RefundWindowClosed)).code.as_str(), "24");
        assert_eq!(code(PaymentError::Store(StoreError::Unavailable("down".into()))).code.as_str(), "99");
    }
}
