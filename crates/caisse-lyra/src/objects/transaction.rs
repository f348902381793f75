//! `V4/PaymentTransaction` (inside `V4/Payment`), `V4/Transaction` (Transaction/*, Order/Get)
//! and their `V4/TransactionDetails`: same facts, two key orders (research §3.3).

use crate::json::{Json, Object};
use crate::objects::card::{SDD, acquirer_label, card_details, payment_method_details, payment_method_type};
use crate::objects::customer::customer;
use crate::objects::status::DetailedStatus;
use crate::objects::{View, date_time, mid};
use caisse_core::transaction::{Transaction, TransactionKind};
use serde_json::Value;

/// Where the merchant's `customer` and `metadata` are kept in `OrderDetails.extra`.
pub const CUSTOMER_KEY: &str = "customer";
pub const METADATA_KEY: &str = "metadata";

/// `amount`: what the transaction is for. A cancelled one keeps its amount on the platform
/// (research §3.6); the core zeroes the amount left to capture, so its first one is shown.
pub fn shown_amount(transaction: &Transaction) -> u64 {
    if transaction.amount.is_zero() {
        transaction.origin_amount.minor_units()
    } else {
        transaction.amount.minor_units()
    }
}

/// The merchant's `metadata`, or `null`.
pub fn metadata(transaction: &Transaction) -> Json {
    match transaction.order.extra.get(METADATA_KEY) {
        Some(value @ Value::Object(_)) => Json::Raw(value.clone()),
        _ => Json::Null,
    }
}

/// errorCode, errorMessage, detailedErrorCode, detailedErrorMessage of a refusal: ACQ_001 with
/// the acquirer's code unchanged (research §4.4).
struct Errors {
    code: Option<&'static str>,
    message: Option<&'static str>,
    detailed_code: Option<String>,
    detailed_message: Option<&'static str>,
}

fn errors(transaction: &Transaction) -> Errors {
    let code = &transaction.authorisation.acquirer_response_code;
    if DetailedStatus::of(transaction) == DetailedStatus::Refused && code != "00" {
        Errors {
            code: Some("ACQ_001"),
            message: Some("payment refused"),
            detailed_code: Some(code.clone()),
            detailed_message: acquirer_label(code),
        }
    } else {
        Errors { code: None, message: None, detailed_code: None, detailed_message: None }
    }
}

fn creation_context(transaction: &Transaction) -> &'static str {
    match (transaction.kind, &transaction.parent_id) {
        (TransactionKind::Verification, _) => "VERIFICATION",
        (TransactionKind::Credit, Some(_)) => "REFUND",
        (TransactionKind::Credit, None) | (TransactionKind::Debit, _) => "CHARGE",
    }
}

/// UNITAIRE (one-off), RECURRENT_INITIAL (token creation), RECURRENT_INTERMEDIAIRE (by token).
fn occurrence_type(transaction: &Transaction) -> &'static str {
    match (transaction.kind, &transaction.token_id) {
        (TransactionKind::Verification, _) => "RECURRENT_INITIAL",
        (TransactionKind::Debit, Some(_)) => "RECURRENT_INTERMEDIAIRE",
        (TransactionKind::Debit | TransactionKind::Credit, _) => "UNITAIRE",
    }
}

/// `V4/TransactionDetails`, keys as recorded in 2024 (research §3.4).
pub fn transaction_details(view: &View<'_>) -> Object {
    let transaction = view.transaction;
    let liability_shift = match transaction.kind {
        TransactionKind::Credit => Json::Null,
        TransactionKind::Debit | TransactionKind::Verification => "NO".into(),
    };
    let fraud_management = Object::new()
        .with("riskControl", Vec::<Json>::new())
        .with("riskAnalysis", Vec::<Json>::new())
        .with("riskAssessments", Json::Null)
        .typed("V4/PaymentMethod/Details/FraudManagement");
    let subscription_details = Object::new()
        .with("subscriptionId", transaction.subscription_id.clone())
        .typed("V4/PaymentMethod/Details/SubscriptionDetails");
    Object::new()
        .with("liabilityShift", liability_shift)
        .with("effectiveAmount", shown_amount(transaction))
        .with("effectiveCurrency", transaction.currency.alpha_code())
        .with("creationContext", creation_context(transaction))
        .with("cardDetails", card_details(view))
        .with("paymentMethodDetails", payment_method_details(view))
        .with("acquirerDetails", Json::Null)
        .with("fraudManagement", fraud_management)
        .with("subscriptionDetails", subscription_details)
        .with("parentTransactionUuid", transaction.parent_id.as_ref().map(|id| id.as_str().to_owned()))
        .with("mid", mid(transaction.shop_id.as_str()))
        .with("sequenceNumber", 1u32)
        .with("taxAmount", Json::Null)
        .with("preTaxAmount", Json::Null)
        .with("taxRate", Json::Null)
        .with("externalTransactionId", Json::Null)
        .with("dcc", Json::Null)
        .with("nsu", Json::Null)
        .with("tid", "001")
        .with("acquirerNetwork", if transaction.mandate.is_some() { SDD } else { "CB" })
        .with("taxRefundAmount", Json::Null)
        .with("userInfo", Json::Null)
        .with("paymentMethodTokenPreviouslyRegistered", Json::Null)
        .with("occurrenceType", occurrence_type(transaction))
        .with("archivalReferenceId", Json::Null)
        .with("useCase", Json::Null)
        .with("wallet", Json::Null)
        .typed("V4/TransactionDetails")
}

fn operation_type(transaction: &Transaction) -> &'static str {
    match transaction.kind {
        TransactionKind::Debit => "DEBIT",
        TransactionKind::Credit => "CREDIT",
        TransactionKind::Verification => "VERIFICATION",
    }
}

/// `V4/PaymentTransaction`.
pub fn payment_transaction(view: &View<'_>) -> Object {
    let transaction = view.transaction;
    let status = DetailedStatus::of(transaction);
    let errors = errors(transaction);
    Object::new()
        .with("shopId", transaction.shop_id.as_str().to_owned())
        .with("uuid", transaction.id.as_str().to_owned())
        .with("amount", shown_amount(transaction))
        .with("currency", transaction.currency.alpha_code())
        .with("paymentMethodType", payment_method_type(transaction))
        .with("paymentMethodToken", transaction.token_id.clone())
        .with("status", status.status().as_str())
        .with("detailedStatus", status.as_str())
        .with("operationType", operation_type(transaction))
        .with("effectiveStrongAuthentication", "DISABLED")
        .with("creationDate", date_time(transaction.created_at))
        .with("errorCode", errors.code)
        .with("errorMessage", errors.message)
        .with("detailedErrorCode", errors.detailed_code)
        .with("detailedErrorMessage", errors.detailed_message)
        .with("metadata", metadata(transaction))
        .with("transactionDetails", transaction_details(view))
        .typed("V4/PaymentTransaction")
}

/// `V4/OrderDetails` of one transaction's order.
pub fn order_details(transaction: &Transaction) -> Object {
    let effective = (DetailedStatus::of(transaction) != DetailedStatus::Cancelled).then(|| shown_amount(transaction));
    Object::new()
        .with("orderTotalAmount", shown_amount(transaction))
        .with("orderEffectiveAmount", effective)
        .with("orderCurrency", transaction.currency.alpha_code())
        .with("mode", transaction.mode.as_str())
        .with("orderId", transaction.order.order_id.clone())
        .with("metadata", metadata(transaction))
        .typed("V4/OrderDetails")
}

/// The `customer` the merchant sent with the transaction.
pub fn transaction_customer(transaction: &Transaction) -> Object {
    let sent = transaction.order.extra.get(CUSTOMER_KEY).and_then(Value::as_object).cloned().unwrap_or_default();
    customer(&sent, false)
}

/// `V4/Transaction`.
pub fn transaction(view: &View<'_>) -> Object {
    let transaction = view.transaction;
    let status = DetailedStatus::of(transaction);
    let errors = errors(transaction);
    Object::new()
        .with("shopId", transaction.shop_id.as_str().to_owned())
        .with("uuid", transaction.id.as_str().to_owned())
        .with("paymentMethodType", payment_method_type(transaction))
        .with("paymentMethodToken", transaction.token_id.clone())
        .with("detailedStatus", status.as_str())
        .with("status", status.status().as_str())
        .with("amount", shown_amount(transaction))
        .with("currency", transaction.currency.alpha_code())
        .with("creationDate", date_time(transaction.created_at))
        .with("errorCode", errors.code)
        .with("errorMessage", errors.message)
        .with("detailedErrorCode", errors.detailed_code)
        .with("detailedErrorMessage", errors.detailed_message)
        .with("effectiveStrongAuthentication", "DISABLED")
        .with("customer", transaction_customer(transaction))
        .with("transactionDetails", transaction_details(view))
        .with("orderDetails", order_details(transaction))
        .with("operationType", operation_type(transaction))
        .with("metadata", metadata(transaction))
        .typed("V4/Transaction")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::json::to_text;
    use caisse_core::card::{CardBrand, CardExpiry, CardSummary};
    use caisse_core::transaction::{AuthorisationDetails, OrderDetails, TransactionId, TransactionStatus};
    use caisse_core::{Amount, CaptureMode, Currency, Mode, OperationName, ShopId};
    use chrono::{TimeZone, Utc};

    pub(crate) fn sample(kind: TransactionKind, status: TransactionStatus) -> Transaction {
        let at = Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap();
        Transaction {
            id: TransactionId("5b158f084502428499b2d34ad074df05".into()),
            shop_id: ShopId("61881992".into()),
            reference: "r".into(),
            s10_transaction_id: 7,
            kind,
            status,
            currency: Currency::EUR,
            origin_amount: Amount(990),
            amount: Amount(990),
            refunded_amount: Amount::ZERO,
            capture_mode: CaptureMode::AuthorCapture,
            capture_day: 0,
            capture_date: at.date_naive(),
            created_at: at,
            last_operation: OperationName::Author,
            last_operation_at: at,
            card: Some(CardSummary {
                card_id: "c".into(),
                masked_pan: "4970##########00".into(),
                bin: "497010".into(),
                last_four: "0000".into(),
                expiry: CardExpiry { year: 2030, month: 11 },
                brand: CardBrand::Cb,
                co_brands: vec![CardBrand::Visa],
            }),
            authorisation: AuthorisationDetails {
                acquirer_response_code: "00".into(),
                authorisation_id: Some("3fe584".into()),
                network_transaction_id: Some("4575676657929351".into()),
                ..AuthorisationDetails::default()
            },
            order: OrderDetails { order_id: Some("ORD1".into()), ..OrderDetails::default() },
            source_id: None,
            mode: Mode::Test,
            parent_id: None,
            token_id: Some("b6e51ba31f934ac5b25ccad2a52ccd56".into()),
            subscription_id: None,
            mandate: None,
            cpay_option: None,
        }
    }

    fn parsed(object: Object) -> Value {
        serde_json::from_str(&to_text(&object)).unwrap()
    }

    #[test]
    fn payment_transaction_keys_in_order() {
        let transaction = sample(TransactionKind::Debit, TransactionStatus::ToCapture);
        let object = payment_transaction(&View::fresh(&transaction));
        let keys: Vec<_> = object.keys().collect();
        assert_eq!(
            keys,
            [
                "shopId",
                "uuid",
                "amount",
                "currency",
                "paymentMethodType",
                "paymentMethodToken",
                "status",
                "detailedStatus",
                "operationType",
                "effectiveStrongAuthentication",
                "creationDate",
                "errorCode",
                "errorMessage",
                "detailedErrorCode",
                "detailedErrorMessage",
                "metadata",
                "transactionDetails",
                "_type"
            ]
        );
        let value = parsed(object);
        assert_eq!(value["status"], "PAID");
        assert_eq!(value["detailedStatus"], "AUTHORISED");
        assert_eq!(value["amount"], 990);
        let card = &value["transactionDetails"]["cardDetails"];
        assert_eq!(card["pan"], "497010XXXXXX0000");
        assert_eq!(card["expiryYear"], 2030);
        assert_eq!(card["authorizationResponse"]["authorizationResult"], "0");
        assert_eq!(card["initialIssuerTransactionIdentifier"], "4575676657929351");
        assert_eq!(card["legacyTransId"], "000007");
        assert_eq!(card["expectedCaptureDate"], "2026-11-28T10:00:00+00:00");
        assert_eq!(value["transactionDetails"]["occurrenceType"], "RECURRENT_INTERMEDIAIRE");
    }

    #[test]
    fn refused_cancelled_and_refund_credit() {
        let mut refused = sample(TransactionKind::Debit, TransactionStatus::Refused);
        refused.authorisation.acquirer_response_code = "05".into();
        let value = parsed(payment_transaction(&View::fresh(&refused)));
        assert_eq!((value["status"].as_str(), value["errorCode"].as_str()), (Some("UNPAID"), Some("ACQ_001")));
        assert_eq!(value["detailedErrorCode"], "05");
        assert_eq!(value["errorMessage"], "payment refused");

        let mut cancelled = sample(TransactionKind::Debit, TransactionStatus::Cancelled);
        cancelled.amount = Amount::ZERO;
        let value = parsed(transaction(&View::fresh(&cancelled)));
        assert_eq!(value["amount"], 990);
        assert_eq!(value["detailedStatus"], "CANCELLED");
        assert_eq!(value["orderDetails"]["orderEffectiveAmount"], Value::Null);

        let mut credit = sample(TransactionKind::Credit, TransactionStatus::ToCredit);
        credit.parent_id = Some(TransactionId("0".repeat(32)));
        let value = parsed(transaction(&View::fresh(&credit)));
        assert_eq!(value["operationType"], "CREDIT");
        assert_eq!(value["detailedStatus"], "AUTHORISED");
        assert_eq!(value["transactionDetails"]["creationContext"], "REFUND");
        assert_eq!(value["transactionDetails"]["parentTransactionUuid"], "0".repeat(32));
        assert_eq!(value["transactionDetails"]["cardDetails"]["paymentSource"], "OTHER");
    }
}
