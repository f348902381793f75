//! Transaction/CancelOrRefund (research §2.6): an unsettled transaction is cancelled whole
//! (same uuid, CANCELLED); a captured one is refunded, partially and repeatedly, each refund a
//! new CREDIT transaction. `resolutionMode` may force one of the two.

use crate::error::{ErrorCode, WsError};
use crate::fields::{Fields, TEXT_CHARS_MAX};
use crate::json::Object;
use crate::services::Context;
use crate::services::common::{cancel_whole, load, refund};

const RESOLUTION_MODES: [&str; 3] = ["AUTO", "CANCELLATION_ONLY", "REFUND_ONLY"];

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Object, WsError> {
    let uuid = fields.uuid("uuid")?;
    let amount = fields.positive_amount("amount", ErrorCode::Int009)?;
    let currency = fields.currency("currency")?;
    let mode = fields.one_of("resolutionMode", &RESOLUTION_MODES, ErrorCode::Int902)?.unwrap_or("AUTO");
    fields.text("comment", TEXT_CHARS_MAX, ErrorCode::Int898)?;
    let transaction = load(context, &uuid).await?;
    let cancels = match mode {
        "CANCELLATION_ONLY" => true,
        "REFUND_ONLY" => false,
        _ => transaction.status.is_cancellable(),
    };
    if !cancels {
        return refund(context, &transaction, amount, currency).await;
    }
    if currency.is_some_and(|currency| currency != transaction.currency) {
        return Err(WsError::detailed(ErrorCode::Int010, "the currency differs from the transaction's"));
    }
    // A cancellation is always whole; a lower amount goes through Transaction/Update (LD).
    if amount.is_some_and(|amount| amount != transaction.amount) && transaction.status.is_cancellable() {
        return Err(WsError::detailed(
            ErrorCode::Psp020,
            "a cancellation is for the whole amount: lower it with Transaction/Update",
        ));
    }
    cancel_whole(context, &transaction).await
}
