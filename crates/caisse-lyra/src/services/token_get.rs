//! Token/Get: a cancelled token still answers, with `cancellationDate` (research §2.4).

use crate::error::WsError;
use crate::fields::Fields;
use crate::json::Object;
use crate::objects::token::token;
use crate::services::Context;
use crate::services::common::load_token;

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Object, WsError> {
    let token_id = fields.required_token("paymentMethodToken")?;
    Ok(token(&load_token(context, &token_id).await?))
}
