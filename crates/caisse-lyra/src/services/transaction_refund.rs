//! Transaction/Refund: refunds a CAPTURED transaction, partially and repeatedly up to what was
//! captured (research §2.7). The answer is the new CREDIT transaction.

use crate::error::{ErrorCode, WsError};
use crate::fields::{Fields, TEXT_CHARS_MAX};
use crate::json::Object;
use crate::services::Context;
use crate::services::common::{load, refund};

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Object, WsError> {
    let uuid = fields.uuid("uuid")?;
    let amount = fields.positive_amount("amount", ErrorCode::Int009)?;
    let currency = fields.currency("currency")?;
    fields.text("comment", TEXT_CHARS_MAX, ErrorCode::Int898)?;
    let transaction = load(context, &uuid).await?;
    refund(context, &transaction, amount, currency).await
}
