//! Token/Cancel: no new payment with it, and its subscriptions stop. Twice: PSP_031.

use crate::error::{self, WsError};
use crate::fields::Fields;
use crate::json::Object;
use crate::services::Context;
use crate::services::common::{load_token, response_code_answer};

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Object, WsError> {
    let token_id = fields.required_token("paymentMethodToken")?;
    load_token(context, &token_id).await?;
    context.payments.cancel_token(context.shop_id, &token_id).await.map_err(error::of_token)?;
    Ok(response_code_answer())
}
