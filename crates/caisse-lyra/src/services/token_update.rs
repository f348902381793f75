//! Token/Update: without card data, a formToken for the hosted page to collect the new card
//! (research §2.4). With card data (PCI), replacing a token's card needs a core use case that
//! does not exist yet: refused with PSP_001, nothing changed.

use crate::error::{self, ErrorCode, WsError};
use crate::fields::{Fields, payment_form_card};
use crate::json::Object;
use crate::services::Context;
use crate::services::create_payment::open_form;
use caisse_core::payment_form::FormPurpose;
use caisse_core::{Amount, Currency};

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Object, WsError> {
    let token_id = fields.required_token("paymentMethodToken")?;
    let currency = fields.currency("currency")?.unwrap_or(Currency::EUR);
    fields.customer()?;
    let token = context.payments.token(context.shop_id, &token_id).await.map_err(error::of_token)?;
    if !token.is_active() {
        return Err(WsError::new(ErrorCode::Psp031));
    }
    if payment_form_card(fields)?.is_some() {
        return Err(WsError::detailed(ErrorCode::Psp001, "Token/Update with card data is not supported"));
    }
    open_form(context, fields, FormPurpose::Register, Amount::ZERO, currency).await
}
