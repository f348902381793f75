//! Subscription/Cancel: no installment after now; transactions already made are untouched
//! (research §5.4). Twice: PSP_033. A future `terminationDate` needs a core use case that
//! does not exist yet: refused with INT_805, nothing changed.

use crate::error::{self, ErrorCode, WsError};
use crate::fields::Fields;
use crate::json::Object;
use crate::services::Context;
use crate::services::common::response_code_answer;
use crate::services::subscription_get::find;

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Object, WsError> {
    let termination = fields.date_time("terminationDate", ErrorCode::Int805)?;
    if termination.is_some_and(|at| at > context.now) {
        return Err(WsError::detailed(
            ErrorCode::Int805,
            "a future terminationDate is not supported: cancel on the day",
        ));
    }
    let current = find(context, fields).await?;
    context.payments.cancel_subscription(context.shop_id, &current.id).await.map_err(error::of_subscription)?;
    Ok(response_code_answer())
}
