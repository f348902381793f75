//! Token/Get: a cancelled token still answers, with `cancellationDate` (research §2.4).

use crate::error::{self, WsError};
use crate::fields::Fields;
use crate::json::Object;
use crate::objects::token::token;
use crate::services::Context;

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Object, WsError> {
    let token_id = fields.required_token("paymentMethodToken")?;
    let found = context.payments.token(context.shop_id, &token_id).await.map_err(error::of_token)?;
    Ok(token(&found))
}
