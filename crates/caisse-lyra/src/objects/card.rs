//! `transactionDetails.cardDetails` and its sub-objects (research §3.5), and the
//! `paymentMethodDetails` that repeats them.

use crate::json::{Json, Object};
use crate::objects::status::DetailedStatus;
use crate::objects::{View, date_time, masked_pan};
use caisse_core::transaction::{CaptureMode, Transaction, TransactionKind};

/// The chaining reference a payment by token was sent with, kept by the core.
pub const CHAINING_KEY: &str = "initialIssuerTransactionIdentifier";

/// `authorizationResult` is the acquirer's code as a number in text: "0" accepted, "51"…
pub fn authorization_result(code: &str) -> String {
    code.parse::<u32>().map(|number| number.to_string()).unwrap_or_else(|_| code.to_owned())
}

/// The label of an acquirer refusal (`detailedErrorMessage` of ACQ_001), for the codes the
/// simulated acquirer answers.
pub fn acquirer_label(code: &str) -> Option<&'static str> {
    Some(match code {
        "02" => "Contact the card issuer",
        "03" => "Invalid merchant",
        "04" => "Pick up card",
        "05" => "Do not honor",
        "12" => "Invalid transaction",
        "13" => "Invalid amount",
        "14" => "Invalid card number",
        "15" => "Unknown issuer",
        "24" => "Operation not allowed",
        "25" => "Transaction not found",
        "30" => "Format error",
        "33" | "54" => "Expired card",
        "34" | "59" => "Suspected fraud",
        "41" => "Lost card",
        "43" => "Stolen card",
        "51" => "Insufficient funds or credit limit exceeded",
        "56" => "Card absent from file",
        "57" => "Transaction not allowed to this cardholder",
        "61" => "Exceeds withdrawal amount limit",
        "63" => "Security rules not observed",
        "75" => "Number of PIN tries exceeded",
        "96" => "System malfunction",
        _ => return None,
    })
}

/// The chaining reference a transaction shows: the one its payment chained to, else the
/// network's reference of its own authorisation.
pub fn chaining_reference(transaction: &Transaction) -> Option<String> {
    transaction
        .order
        .extra
        .get(CHAINING_KEY)
        .and_then(|value| value.as_str())
        .map(str::to_owned)
        .or_else(|| transaction.authorisation.network_transaction_id.clone())
}

fn authorization_response(transaction: &Transaction) -> Object {
    let mut object = Object::new();
    match transaction.kind {
        TransactionKind::Debit => {
            let details = &transaction.authorisation;
            object
                .with("amount", transaction.origin_amount.minor_units())
                .with("currency", transaction.currency.alpha_code())
                .with("authorizationDate", date_time(transaction.created_at))
                .with("authorizationNumber", details.authorisation_id.clone())
                .with("authorizationResult", authorization_result(&details.acquirer_response_code))
                .with("authorizationMode", "FULL");
        }
        // A verification is a MARK (markAuthorizationResponse); a refund is not authorised.
        TransactionKind::Verification | TransactionKind::Credit => {
            let mode = if transaction.kind == TransactionKind::Verification { "MARK" } else { "FULL" };
            object
                .with("amount", Json::Null)
                .with("currency", Json::Null)
                .with("authorizationDate", Json::Null)
                .with("authorizationNumber", Json::Null)
                .with("authorizationResult", Json::Null)
                .with("authorizationMode", mode);
        }
    }
    object.typed("V4/PaymentMethod/Details/Cards/CardAuthorizationResponse")
}

fn mark_authorization_response(transaction: &Transaction) -> Object {
    let verification = transaction.kind == TransactionKind::Verification;
    let details = &transaction.authorisation;
    let known = |value: Json| if verification { value } else { Json::Null };
    Object::new()
        .with("amount", known(transaction.origin_amount.minor_units().into()))
        .with("currency", known(transaction.currency.alpha_code().into()))
        .with("authorizationDate", known(date_time(transaction.created_at).into()))
        .with("authorizationNumber", known(details.authorisation_id.clone().into()))
        .with("authorizationResult", known(authorization_result(&details.acquirer_response_code).into()))
        .typed("V4/PaymentMethod/Details/Cards/MarkAuthorizationResponse")
}

fn capture_response(view: &View<'_>) -> Object {
    let transaction = view.transaction;
    let refunded = (transaction.kind == TransactionKind::Debit && !transaction.refunded_amount.is_zero())
        .then_some(transaction.refunded_amount.minor_units());
    let currency = refunded.map(|_| transaction.currency.alpha_code());
    Object::new()
        .with("refundAmount", refunded)
        .with("refundCurrency", currency)
        .with("captureDate", view.captured_at.map(date_time))
        .with("captureFileNumber", Json::Null)
        .with("effectiveRefundAmount", refunded)
        .with("effectiveRefundCurrency", currency)
        .typed("V4/PaymentMethod/Details/Cards/CardCaptureResponse")
}

fn three_ds_response() -> Object {
    let mut data = Object::new();
    for key in
        ["transactionCondition", "enrolled", "status", "eci", "xid", "cavvAlgorithm", "cavv", "signValid", "brand"]
    {
        data.with(key, Json::Null);
    }
    let data = data.typed("V4/PaymentMethod/Details/Cards/CardAuthenticationResponse");
    Object::new().with("authenticationResultData", data).typed("V4/PaymentMethod/Details/Cards/ThreeDSResponse")
}

/// `paymentSource`: e-commerce, or OTHER for a refund's credit (research §2.6).
fn payment_source(transaction: &Transaction) -> &'static str {
    if transaction.kind == TransactionKind::Credit { "OTHER" } else { "EC" }
}

fn expected_capture_date(transaction: &Transaction) -> Option<String> {
    let status = DetailedStatus::of(transaction);
    let no_capture = transaction.kind == TransactionKind::Verification
        || matches!(status, DetailedStatus::Refused | DetailedStatus::Error);
    if no_capture {
        return None;
    }
    let at = transaction.capture_date.and_time(transaction.created_at.time()).and_utc();
    Some(date_time(at))
}

/// `paymentMethodSource`: TOKEN when a token paid or was created, NEW otherwise.
fn payment_method_source(transaction: &Transaction) -> &'static str {
    if transaction.token_id.is_some() { "TOKEN" } else { "NEW" }
}

fn legacy_trans_id(transaction: &Transaction) -> Option<String> {
    (transaction.s10_transaction_id > 0).then(|| format!("{:06}", transaction.s10_transaction_id))
}

/// `cardDetails` (`V4/PaymentMethod/Details/CardDetails`).
/// `paymentMethodType`, `effectiveBrand` and `acquirerNetwork` of a SEPA direct debit.
pub const SDD: &str = "SDD";

/// `paymentMethodType`: CARD, or SDD for a direct debit on a mandate.
pub fn payment_method_type(transaction: &caisse_core::Transaction) -> &'static str {
    if transaction.mandate.is_some() { SDD } else { "CARD" }
}

pub fn card_details(view: &View<'_>) -> Json {
    let transaction = view.transaction;
    let Some(card) = &transaction.card else {
        return Json::Null;
    };
    let pan = masked_pan(card);
    let manual = if transaction.capture_mode == CaptureMode::Validation { "YES" } else { "NO" };
    Object::new()
        .with("paymentSource", payment_source(transaction))
        .with("manualValidation", manual)
        .with("expectedCaptureDate", expected_capture_date(transaction))
        .with("effectiveBrand", card.brand.sips_name())
        .with("pan", pan.clone())
        .with("expiryMonth", u32::from(card.expiry.month))
        .with("expiryYear", u32::from(card.expiry.year))
        .with("country", Json::Null)
        .with("issuerCode", Json::Null)
        .with("issuerName", Json::Null)
        .with("effectiveProductCode", Json::Null)
        .with("legacyTransId", legacy_trans_id(transaction))
        .with("legacyTransDate", date_time(transaction.created_at))
        .with("paymentMethodSource", payment_method_source(transaction))
        .with("authorizationResponse", authorization_response(transaction))
        .with("captureResponse", capture_response(view))
        .with("threeDSResponse", three_ds_response())
        .with("authenticationResponse", Json::Null)
        .with("installmentNumber", Json::Null)
        .with("installmentCode", Json::Null)
        .with("markAuthorizationResponse", mark_authorization_response(transaction))
        .with("cardHolderName", Json::Null)
        .with("cardHolderPan", pan)
        .with("cardHolderExpiryMonth", u32::from(card.expiry.month))
        .with("cardHolderExpiryYear", u32::from(card.expiry.year))
        .with("identityDocumentNumber", Json::Null)
        .with("identityDocumentType", Json::Null)
        .with("initialIssuerTransactionIdentifier", chaining_reference(transaction))
        .with("productCategory", Json::Null)
        .with("nature", Json::Null)
        .typed("V4/PaymentMethod/Details/CardDetails")
        .into()
}

/// `paymentMethodDetails`: the card details again, led by `id` (the masked PAN), without
/// `pan`, `threeDSResponse`, `productCategory` and `nature` (research §3.5).
/// A card's details, or a SEPA direct debit's: the masked IBAN as `id`, brand `SDD`, no
/// expiry (research §7).
pub fn payment_method_details(view: &View<'_>) -> Json {
    let transaction = view.transaction;
    let (id, brand, expiry_month, expiry_year): (String, &str, Json, Json) =
        match (&transaction.card, &transaction.mandate) {
            (Some(card), _) => (
                masked_pan(card),
                card.brand.sips_name(),
                u32::from(card.expiry.month).into(),
                u32::from(card.expiry.year).into(),
            ),
            (None, Some(mandate)) => (mandate.masked_iban.clone(), SDD, Json::Null, Json::Null),
            (None, None) => return Json::Null,
        };
    let manual = if transaction.capture_mode == CaptureMode::Validation { "YES" } else { "NO" };
    Object::new()
        .with("id", id)
        .with("paymentSource", payment_source(transaction))
        .with("manualValidation", manual)
        .with("expectedCaptureDate", expected_capture_date(transaction))
        .with("effectiveBrand", brand)
        .with("expiryMonth", expiry_month)
        .with("expiryYear", expiry_year)
        .with("country", Json::Null)
        .with("issuerCode", Json::Null)
        .with("issuerName", Json::Null)
        .with("effectiveProductCode", Json::Null)
        .with("legacyTransId", legacy_trans_id(transaction))
        .with("legacyTransDate", date_time(transaction.created_at))
        .with("paymentMethodSource", payment_method_source(transaction))
        .with("authorizationResponse", authorization_response(transaction))
        .with("captureResponse", capture_response(view))
        .with("authenticationResponse", Json::Null)
        .with("installmentNumber", Json::Null)
        .with("installmentCode", Json::Null)
        .with("markAuthorizationResponse", mark_authorization_response(transaction))
        .with("cardHolderName", Json::Null)
        .with("identityDocumentNumber", Json::Null)
        .with("identityDocumentType", Json::Null)
        .with("initialIssuerTransactionIdentifier", chaining_reference(transaction))
        .typed("V4/PaymentMethod/Details/PaymentMethodDetails")
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_results_are_numbers_in_text() {
        assert_eq!(authorization_result("00"), "0");
        assert_eq!(authorization_result("05"), "5");
        assert_eq!(authorization_result("51"), "51");
        assert_eq!(authorization_result("A1"), "A1");
        assert_eq!(acquirer_label("51"), Some("Insufficient funds or credit limit exceeded"));
        assert_eq!(acquirer_label("00"), None);
    }
}
