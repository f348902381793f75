//! Charge/CreateTokenFromTransaction: registers the card of an accepted payment as a token
//! (research §2.3). PSP_035 when the transaction is refused or a verification.

use crate::error::{self, ErrorCode, WsError};
use crate::fields::{EMAIL_CHARS_MAX, Fields, is_email};
use crate::json::Object;
use crate::objects::token::token;
use crate::services::Context;
use crate::services::common::{key, load};
use caisse_core::payments::TokenError;
use serde_json::{Map, Value};

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Object, WsError> {
    let uuid = fields.uuid("uuid")?;
    let mut customer = Map::new();
    if let Some(email) = fields.text("email", EMAIL_CHARS_MAX, ErrorCode::Int015)? {
        if !is_email(email) {
            return Err(WsError::invalid(ErrorCode::Int015, "email", email));
        }
        customer.insert("email".into(), Value::String(email.to_owned()));
    }
    load(context, &uuid).await?;
    match context.payments.token_from_transaction(context.shop_id, &key(uuid), customer).await {
        Ok(created) => Ok(token(&created)),
        Err(TokenError::NotUsable) => Err(WsError::detailed(
            ErrorCode::Psp035,
            "the transaction is refused, a verification or a credit: its card cannot be registered",
        )),
        Err(error) => Err(error::of_token(error)),
    }
}
