//! Pieces several services share: the merchant's order context, loading a transaction with
//! its capture date, the cancel and refund paths, `V4/Common/ResponseCodeAnswer`.

use crate::error::{self, ErrorCode, Operation, WsError};
use crate::fields::{FieldResult, Fields, TEXT_CHARS_MAX};
use crate::json::Object;
use crate::objects::View;
use crate::objects::transaction::{CUSTOMER_KEY, METADATA_KEY, transaction};
use crate::services::Context;
use caisse_core::command::CashOperation;
use caisse_core::token::PaymentToken;
use caisse_core::transaction::{
    OrderDetails, Transaction, TransactionId, TransactionKey, TransactionKind, TransactionStatus,
};
use caisse_core::{Amount, Currency, OperationName};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// `{"responseCode":0}`: Token/Cancel, Token/Reactivate, Subscription/Cancel|Update, Capture.
pub fn response_code_answer() -> Object {
    Object::new().with("responseCode", 0u32).typed("V4/Common/ResponseCodeAnswer")
}

/// orderId, customer and metadata: stored with the transaction and echoed in its answers.
pub fn order(fields: &Fields<'_>) -> FieldResult<OrderDetails> {
    let order_id = fields.order_id()?;
    let customer = fields.customer()?;
    let metadata = fields.echoed_object(METADATA_KEY, ErrorCode::Int091)?;
    fields.text("comment", TEXT_CHARS_MAX, ErrorCode::Int898)?;
    let customer_id = customer.get("reference").and_then(Value::as_str).map(str::to_owned);
    let mut extra = Map::new();
    if !customer.is_empty() {
        extra.insert(CUSTOMER_KEY.into(), Value::Object(customer));
    }
    if let Some(metadata) = metadata {
        extra.insert(METADATA_KEY.into(), Value::Object(metadata));
    }
    Ok(OrderDetails { order_id, customer_id, extra, ..OrderDetails::default() })
}

pub fn key(uuid: String) -> TransactionKey {
    TransactionKey::Id(TransactionId(uuid))
}

/// A transaction of the caller's shop and mode: the TEST and PRODUCTION passwords see
/// separate data, as the platform's two environments do.
pub async fn load(context: &Context<'_>, uuid: &str) -> Result<Transaction, WsError> {
    let found = context
        .payments
        .transaction(context.shop_id, &key(uuid.to_owned()))
        .await
        .map_err(|error| error::of_payment(Operation::Payment, error))?;
    if found.mode != context.mode {
        return Err(WsError::new(ErrorCode::Psp010));
    }
    Ok(found)
}

/// A token of the caller's shop and mode (PSP_030 otherwise), cancelled or not.
pub async fn load_token(context: &Context<'_>, token_id: &str) -> Result<PaymentToken, WsError> {
    let found = context.payments.token(context.shop_id, token_id).await.map_err(error::of_token)?;
    if found.mode != context.mode {
        return Err(WsError::new(ErrorCode::Psp030));
    }
    Ok(found)
}

/// When the batch captured (or credited) `transaction`, read from its operations: only
/// settled transactions need the read.
pub async fn captured_at(context: &Context<'_>, transaction: &Transaction) -> Result<Option<DateTime<Utc>>, WsError> {
    if !matches!(transaction.status, TransactionStatus::Captured | TransactionStatus::Credited) {
        return Ok(None);
    }
    let operations = context
        .payments
        .operations(context.shop_id, &TransactionKey::Id(transaction.id.clone()))
        .await
        .map_err(|error| error::of_payment(Operation::Payment, error))?;
    Ok(operations
        .iter()
        .rev()
        .find(|operation| matches!(operation.name, OperationName::Capture | OperationName::CreditCapture))
        .map(|operation| operation.at))
}

/// `V4/Transaction` of a stored transaction.
pub async fn transaction_answer(context: &Context<'_>, tx: &Transaction) -> Result<Object, WsError> {
    let captured_at = captured_at(context, tx).await?;
    Ok(transaction(&View { transaction: tx, captured_at }))
}

/// Cancels the whole of an unsettled transaction: same uuid, CANCELLED.
pub async fn cancel_whole(context: &Context<'_>, tx: &Transaction) -> Result<Object, WsError> {
    let command = CashOperation {
        shop_id: context.shop_id.clone(),
        key: key(tx.id.0.clone()),
        amount: tx.amount,
        currency: tx.currency,
    };
    let transition =
        context.payments.cancel(command).await.map_err(|error| error::of_payment(Operation::Cancel, error))?;
    transaction_answer(context, &transition.updated).await
}

/// Refunds `amount` (all that remains when `None`) of a captured debit: the answer is the new
/// CREDIT transaction, with its own uuid and `parentTransactionUuid`.
pub async fn refund(
    context: &Context<'_>,
    tx: &Transaction,
    amount: Option<Amount>,
    currency: Option<Currency>,
) -> Result<Object, WsError> {
    // Only a debit gives money back; a credit or a verification has nothing to refund.
    if tx.kind != TransactionKind::Debit {
        return Err(WsError::detailed(ErrorCode::Psp011, "only a debit can be refunded"));
    }
    let command = CashOperation {
        shop_id: context.shop_id.clone(),
        key: key(tx.id.0.clone()),
        amount: amount.unwrap_or_else(|| tx.refundable()),
        currency: currency.unwrap_or(tx.currency),
    };
    let transition =
        context.payments.refund(command).await.map_err(|error| error::of_payment(Operation::Refund, error))?;
    let Some((credit, _)) = &transition.spawned else {
        // The core returns the credit of every refund; without one there is nothing to show.
        return Err(error::technical(&"a refund without its credit transaction"));
    };
    Ok(transaction(&View::fresh(credit)))
}
