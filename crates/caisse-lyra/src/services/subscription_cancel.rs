//! Subscription/Cancel: without `terminationDate`, or with one already past, no installment
//! after now; with a date ahead, the installments up to it are still charged (research §5.4).
//! Transactions already made are untouched. An ended subscription: PSP_033.

use crate::error::{self, ErrorCode, WsError};
use crate::fields::Fields;
use crate::json::Object;
use crate::services::Context;
use crate::services::common::response_code_answer;
use crate::services::subscription_get::find;

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Object, WsError> {
    let termination = fields.date_time("terminationDate", ErrorCode::Int805)?;
    let current = find(context, fields).await?;
    context
        .payments
        .cancel_subscription(context.shop_id, &current.id, termination)
        .await
        .map_err(error::of_subscription)?;
    Ok(response_code_answer())
}
