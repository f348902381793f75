//! Pieces several methods share: card fields, order details, the cash-operation request, and
//! the answers of authorisations and cash operations.

/// Sogenactif has no TEST/PRODUCTION credentials: its test and production platforms are
/// distinct hosts. caisse records its Office Serveur payments as TEST (a simulated acquirer).
pub(crate) const SIPS_MODE: caisse_core::Mode = caisse_core::Mode::Test;

use crate::answer::Answer;
use crate::fields::{
    FieldError, FieldResult, Fields, ORDER_CHANNELS, ORDER_ID_CHARS_MAX, PAYMENT_PATTERNS, RETURN_CONTEXT_CHARS_MAX,
};
use crate::methods::Context;
use crate::response_code::{self, ResponseCode};
use caisse_core::CaptureMode;
use caisse_core::card::CardSummary;
use caisse_core::command::{Authorise, CardInput, CashOperation};
use caisse_core::payments::payment_tokens::PayWithPaymentToken;
use caisse_core::payments::{Authorised, PaymentError};
use caisse_core::transaction::{OrderDetails, Transition};
use caisse_core::{Amount, Transaction};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// `paymentMeanType` of every transaction caisse makes.
pub const PAYMENT_MEAN_TYPE_CARD: &str = "CARD";

/// Request fields kept verbatim in `OrderDetails.extra` to be read back later: the order's
/// containers and merchant references. An allow-list, so that no card field (cardNumber,
/// cardCSCValue, paymentMeanData…) can ever be stored by accident.
pub const KEPT_ORDER_FIELDS: [&str; 24] = [
    "billingAddress",
    "billingContact",
    "customerAddress",
    "customerContact",
    "customerData",
    "customerEmail",
    "customerLanguage",
    "deliveryAddress",
    "deliveryContact",
    "deliveryData",
    "fraudData",
    "holderAddress",
    "holderContact",
    "intermediateServiceProviderId",
    "invoiceReference",
    "merchantTransactionDateTime",
    "orderContext",
    "riskManagementCustomDataList",
    "shoppingCartDetail",
    "subMerchantAddress",
    "subMerchantCategoryCode",
    "subMerchantId",
    "subMerchantLegalId",
    "subMerchantShortName",
];

/// The card fields of cardOrder and creditHolder: panType (PAN only for now), cardNumber,
/// cardExpiryDate, cardCSCValue, paymentMeanBrand.
pub fn card_input(fields: &Fields<'_>) -> FieldResult<CardInput> {
    fields.pan_type_is_pan()?;
    Ok(CardInput { pan: fields.pan()?, expiry: fields.expiry()?, csc: fields.csc()?, brand_choice: fields.brand()? })
}

/// The card a payment is made with: its data in the request, or a hosted-fields payment token
/// standing for it.
#[derive(Clone, Debug)]
pub enum CardSource {
    Card(CardInput),
    /// The `paymentToken` text, not yet checked (the core verifies and spends it).
    PaymentToken(String),
}

/// The card fields of cardOrder (and cardCheckEnrollment), or a `paymentToken` instead of
/// them (PROTOCOLS.md 5.1): a token with any of cardNumber, cardExpiryDate, cardCSCValue or
/// panType is inconsistent (12 on that field). `card_input` stays the reader of card fields
/// alone (creditHolder, addCard), whose type its callers rely on.
pub fn card_source(fields: &Fields<'_>) -> FieldResult<CardSource> {
    let Some(token) = fields.text(PAYMENT_TOKEN)? else {
        return card_input(fields).map(CardSource::Card);
    };
    if let Some(name) = PAYMENT_TOKEN_EXCLUDES.into_iter().find(|name| fields.given(name).is_some()) {
        return Err(FieldError::missing(name));
    }
    if token.len() > PAYMENT_TOKEN_CHARS_MAX {
        return Err(FieldError::format(PAYMENT_TOKEN));
    }
    Ok(CardSource::PaymentToken(token.into_owned()))
}

/// A card payment's request as cardOrder and cardCheckEnrollment read it, ready for the core:
/// with the card's data, or with a hosted-fields payment token standing for it.
pub enum CardPayment {
    Card(Authorise),
    PaymentToken(PayWithPaymentToken),
}

/// Without captureMode / captureDay, a shop's defaults on the platform: AUTHOR_CAPTURE, day 0.
pub(crate) const DEFAULT_CAPTURE_MODE: CaptureMode = CaptureMode::AuthorCapture;
pub(crate) const DEFAULT_CAPTURE_DAY: u8 = 0;

/// Reads a card payment's fields, in the order their errors are reported.
pub fn card_payment(context: &Context<'_>, fields: &Fields<'_>) -> FieldResult<CardPayment> {
    let amount = fields.amount("amount")?;
    let currency = fields.currency()?;
    let reference = fields.required_reference("transactionReference")?;
    let source = card_source(fields)?;
    let capture_day = fields.capture_day()?.unwrap_or(DEFAULT_CAPTURE_DAY);
    let capture_mode = fields.capture_mode()?.unwrap_or(DEFAULT_CAPTURE_MODE);
    let order = order_details(fields)?;
    let shop_id = context.shop_id.clone();
    Ok(match source {
        CardSource::Card(card) => CardPayment::Card(Authorise {
            shop_id,
            reference,
            amount,
            currency,
            capture_mode,
            capture_day,
            card,
            order,
            mode: SIPS_MODE,
        }),
        CardSource::PaymentToken(payment_token) => CardPayment::PaymentToken(PayWithPaymentToken {
            shop_id,
            reference,
            amount,
            currency,
            capture_mode,
            capture_day,
            payment_token,
            order,
            mode: SIPS_MODE,
        }),
    })
}

const PAYMENT_TOKEN: &str = "paymentToken";
/// Far beyond any token caisse hands out (about 500 characters).
const PAYMENT_TOKEN_CHARS_MAX: usize = 4096;
const PAYMENT_TOKEN_EXCLUDES: [&str; 4] = ["cardNumber", "cardExpiryDate", "cardCSCValue", "panType"];

/// The merchant's order context, stored to be echoed back.
pub fn order_details(fields: &Fields<'_>) -> FieldResult<OrderDetails> {
    let text = |name| -> FieldResult<Option<String>> { Ok(fields.text(name)?.map(Cow::into_owned)) };
    let extra: Map<String, Value> = KEPT_ORDER_FIELDS
        .iter()
        .filter_map(|name| fields.given(name).map(|value| ((*name).to_owned(), value.clone())))
        .collect();
    Ok(OrderDetails {
        order_id: fields.bounded_text("orderId", ORDER_ID_CHARS_MAX)?,
        customer_id: text("customerId")?,
        customer_ip_address: text("customerIpAddress")?,
        order_channel: fields.one_of("orderChannel", &ORDER_CHANNELS)?.map(str::to_owned),
        payment_pattern: fields.one_of("paymentPattern", &PAYMENT_PATTERNS)?.map(str::to_owned),
        return_context: fields.bounded_text("returnContext", RETURN_CONTEXT_CHARS_MAX)?,
        transaction_origin: text("transactionOrigin")?,
        statement_reference: text("statementReference")?,
        extra,
    })
}

/// cancel, refund and validate: operationAmount, currencyCode, then the transaction.
pub fn cash_operation(context: &Context<'_>, fields: &Fields<'_>) -> FieldResult<CashOperation> {
    let amount = fields.amount("operationAmount")?;
    let currency = fields.currency()?;
    let key = fields.transaction_key(context.now.date_naive())?;
    Ok(CashOperation { shop_id: context.shop_id.clone(), key, amount, currency })
}

/// A core error as an answer. Store failures are logged here (never sent: 99).
pub fn failure(error: PaymentError) -> Answer {
    if let PaymentError::Store(store_error) = &error {
        tracing::error!(error = %store_error, "store failure");
    }
    response_code::of_payment_error(&error).into()
}

/// The answer to a new transaction (cardOrder, duplicate, creditHolder), accepted or not.
pub fn authorisation_answer(authorised: &Authorised) -> Answer {
    let transaction = &authorised.transaction;
    let details = &transaction.authorisation;
    let mut answer = Answer::new(ResponseCode::of_authorisation(&authorised.decision.acquirer_response_code));
    answer
        .text("acquirerResponseCode", details.acquirer_response_code.clone())
        .maybe_text("authorisationId", details.authorisation_id.clone())
        .date_time("transactionDateTime", transaction.created_at)
        .text("transactionReference", transaction.reference.clone());
    s10_reference(&mut answer, transaction);
    if let Some(card) = &transaction.card {
        card_fields(&mut answer, card);
    }
    answer
        .maybe_text("cardCSCResultCode", details.card_csc_result_code.clone())
        .maybe_text("guaranteeIndicator", details.guarantee_indicator.clone())
        .maybe_text("holderAuthentStatus", details.holder_authent_status.clone())
        .number("captureDay", u64::from(transaction.capture_day))
        .text("captureMode", transaction.capture_mode.as_str())
        .maybe_text("returnContext", transaction.order.return_context.clone())
        .maybe_text("orderId", transaction.order.order_id.clone());
    answer
}

/// The answer common to cancel, refund and validate. `new_amount` is the method's own view
/// of the transaction's amount after the operation.
pub fn cash_answer(transition: &Transition, new_amount: Amount) -> Answer {
    let operation = &transition.operation;
    let mut answer = Answer::new(ResponseCode::Accepted);
    answer
        .maybe_text("acquirerResponseCode", operation.acquirer_response_code.clone())
        .number("newAmount", new_amount.minor_units())
        .text("newStatus", transition.updated.status.as_str())
        .date_time("operationDateTime", operation.at);
    answer
}

/// maskedPan, panExpiryDate, paymentMeanBrand, paymentMeanType. Never the PAN itself: the
/// core keeps only the masked one in the clear.
pub fn card_fields(answer: &mut Answer, card: &CardSummary) {
    answer
        .text("maskedPan", card.masked_pan.clone())
        .text("panExpiryDate", card.expiry.yyyymm())
        .text("paymentMeanBrand", card.brand.sips_name())
        .text("paymentMeanType", PAYMENT_MEAN_TYPE_CARD);
}

/// `s10TransactionReference`: the store's per-shop, per-day id and that day (UTC).
pub fn s10_reference(answer: &mut Answer, transaction: &Transaction) {
    if transaction.s10_transaction_id == 0 {
        return; // not assigned
    }
    let mut container = Map::new();
    container.insert("s10TransactionId".into(), Value::String(transaction.s10_transaction_id.to_string()));
    container.insert("s10TransactionIdDate".into(), Value::String(transaction.created_at.format("%Y%m%d").to_string()));
    answer.container("s10TransactionReference", container);
}
