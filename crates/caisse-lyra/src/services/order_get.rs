//! Order/Get: every transaction of an order, oldest first, refund credits included
//! (research §2.10). PSP_010 when the order has none; `operationType` filters (WooCommerce
//! sends it).

use crate::error::{self, ErrorCode, Operation, WsError};
use crate::fields::Fields;
use crate::json::Object;
use crate::objects::View;
use crate::objects::payment::order_transactions;
use crate::services::Context;
use crate::services::common::captured_at;
use caisse_core::TransactionKind;

/// Transactions answered at most; more is PSP_015 "too many results". Subscriptions put every
/// installment under their orderId, hence more than the platform's 30.
pub const ORDER_TRANSACTIONS_MAX: usize = 500;

const OPERATION_TYPES: [&str; 3] = ["DEBIT", "CREDIT", "VERIFICATION"];

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Object, WsError> {
    let order_id = fields.order_id()?.ok_or_else(|| WsError::invalid(ErrorCode::Int013, "orderId", "null"))?;
    let kind = fields.one_of("operationType", &OPERATION_TYPES, ErrorCode::Int902)?.map(|name| match name {
        "CREDIT" => TransactionKind::Credit,
        "VERIFICATION" => TransactionKind::Verification,
        _ => TransactionKind::Debit,
    });
    let mut transactions = context
        .payments
        .order_transactions(context.shop_id, &order_id)
        .await
        .map_err(|error| error::of_payment(Operation::Payment, error))?;
    transactions
        .retain(|transaction| transaction.mode == context.mode && kind.is_none_or(|kind| transaction.kind == kind));
    if transactions.is_empty() {
        return Err(WsError::new(ErrorCode::Psp010));
    }
    if transactions.len() > ORDER_TRANSACTIONS_MAX {
        return Err(WsError::new(ErrorCode::Psp015));
    }
    let mut captured = Vec::with_capacity(transactions.len());
    for transaction in &transactions {
        captured.push(captured_at(context, transaction).await?);
    }
    let views: Vec<View<'_>> =
        transactions.iter().zip(captured).map(|(transaction, captured_at)| View { transaction, captured_at }).collect();
    Ok(order_transactions(context.shop_id.as_str(), &order_id, &views))
}
