//! Token/Reactivate: usable again (its subscriptions stay cancelled). An active token is left
//! as it is and answers 0 too: the merchant asked for an active token and has one.

use crate::error::{self, WsError};
use crate::fields::Fields;
use crate::json::Object;
use crate::services::Context;
use crate::services::common::{load_token, response_code_answer};
use caisse_core::payments::TokenError;
use caisse_core::token::TokenRefusal;

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Object, WsError> {
    let token_id = fields.required_token("paymentMethodToken")?;
    load_token(context, &token_id).await?;
    match context.payments.reactivate_token(context.shop_id, &token_id).await {
        Ok(_) | Err(TokenError::Refused(TokenRefusal::AlreadyActive)) => Ok(response_code_answer()),
        Err(error) => Err(error::of_token(error)),
    }
}
