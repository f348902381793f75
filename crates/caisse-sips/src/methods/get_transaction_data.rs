//! diagnostic/getTransactionData: the transaction as it stands.

use crate::answer::Answer;
use crate::fields::Fields;
use crate::methods::Context;
use crate::methods::common::{card_fields, failure, s10_reference};
use crate::response_code::ResponseCode;
use caisse_core::{Amount, Transaction, TransactionKey, TransactionStatus};

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Answer, Answer> {
    let key = fields.transaction_key(context.now.date_naive())?;
    // The store answers another shop's transaction as unknown: 25.
    let transaction = context.payments.transaction(context.shop_id, &key).await.map_err(failure)?;
    // The source of a duplicate, by its reference. Best effort: a failure to read it must not
    // hide the transaction itself.
    let from_reference = match &transaction.source_id {
        None => None,
        Some(source) => context
            .payments
            .transaction(context.shop_id, &TransactionKey::Id(source.clone()))
            .await
            .ok()
            .map(|source| source.reference),
    };
    let mut answer = Answer::new(ResponseCode::Accepted);
    amounts(&mut answer, &transaction);
    answer
        .text("transactionStatus", transaction.status.as_str())
        .text("currencyCode", transaction.currency.numeric_code())
        .number("captureDay", u64::from(transaction.capture_day))
        .text("captureMode", transaction.capture_mode.as_str())
        .date("captureLimitDate", transaction.capture_date)
        .text("lastOperationName", transaction.last_operation.as_str())
        .date_time("lastOperationDateTime", transaction.last_operation_at)
        .date_time("transactionDateTime", transaction.created_at)
        .text("transactionReference", transaction.reference.clone())
        .maybe_text("fromTransactionReference", from_reference);
    s10_reference(&mut answer, &transaction);
    let details = &transaction.authorisation;
    answer
        .text("acquirerResponseCode", details.acquirer_response_code.clone())
        .maybe_text("authorisationId", details.authorisation_id.clone())
        .maybe_text("cardCSCResultCode", details.card_csc_result_code.clone())
        .maybe_text("guaranteeIndicator", details.guarantee_indicator.clone())
        .maybe_text("holderAuthentStatus", details.holder_authent_status.clone());
    if let Some(card) = &transaction.card {
        card_fields(&mut answer, card);
    }
    let order = &transaction.order;
    answer
        .maybe_text("orderId", order.order_id.clone())
        .maybe_text("orderChannel", order.order_channel.clone())
        .maybe_text("customerId", order.customer_id.clone())
        .maybe_text("customerIpAddress", order.customer_ip_address.clone())
        .maybe_text("paymentPattern", order.payment_pattern.clone())
        .maybe_text("returnContext", order.return_context.clone());
    Ok(answer)
}

/// amount: asked at creation. originAmount: authorised at creation (the same). currentAmount:
/// what the transaction is worth now (after cancels, validation and refunds).
/// remainingAmount: what may still be cancelled before capture, or refunded after.
fn amounts(answer: &mut Answer, transaction: &Transaction) {
    let current = transaction.refundable();
    let remaining = if transaction.status.is_cancellable() {
        transaction.amount
    } else if transaction.status == TransactionStatus::Captured {
        transaction.refundable()
    } else {
        Amount::ZERO
    };
    answer
        .number("amount", transaction.origin_amount.minor_units())
        .number("originAmount", transaction.origin_amount.minor_units())
        .number("currentAmount", current.minor_units())
        .number("remainingAmount", remaining.minor_units());
}
