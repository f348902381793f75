//! Subscription/Get: by `subscriptionId` and `paymentMethodToken`, both required; a token that
//! is not the subscription's is PSP_030 (research §5.3).

use crate::error::{self, ErrorCode, WsError};
use crate::fields::{Fields, ID_CHARS_MAX};
use crate::json::Object;
use crate::objects::subscription::subscription;
use crate::services::Context;
use caisse_core::subscription::Subscription;

/// The subscription named by the request, checked against its token.
pub async fn find(context: &Context<'_>, fields: &Fields<'_>) -> Result<Subscription, WsError> {
    let id = fields.required_text("subscriptionId", ID_CHARS_MAX, ErrorCode::Int897)?;
    let token_id = fields.required_token("paymentMethodToken")?;
    let found = context.payments.subscription(context.shop_id, id).await.map_err(error::of_subscription)?;
    if found.mode != context.mode {
        return Err(WsError::new(ErrorCode::Psp032));
    }
    if found.token_id != token_id {
        return Err(WsError::detailed(ErrorCode::Psp030, "the token is not the subscription's"));
    }
    Ok(found)
}

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Object, WsError> {
    Ok(subscription(&find(context, fields).await?))
}
