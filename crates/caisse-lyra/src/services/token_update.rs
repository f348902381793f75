//! Token/Update: with card data (PCI), the new card is checked by a zero-amount VERIFICATION
//! and replaces the token's card; the answer is that verification's `V4/Payment`, as for
//! CreateToken. Without card data, a formToken for the hosted page to collect the new card
//! (research §2.4).

use crate::error::{self, ErrorCode, WsError};
use crate::fields::{Fields, payment_form_card};
use crate::json::Object;
use crate::objects::View;
use crate::objects::payment::payment;
use crate::services::Context;
use crate::services::common::{load_token, order};
use crate::services::create_payment::open_form;
use crate::services::create_token::token_command;
use caisse_core::payment_form::FormPurpose;
use caisse_core::{Amount, Currency};

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Object, WsError> {
    let token_id = fields.required_token("paymentMethodToken")?;
    let currency = fields.currency("currency")?.unwrap_or(Currency::EUR);
    let customer = fields.customer()?;
    let order = order(fields)?;
    let token = load_token(context, &token_id).await?;
    if !token.is_active() {
        return Err(WsError::new(ErrorCode::Psp031));
    }
    let Some(card) = payment_form_card(fields)? else {
        return open_form(context, fields, FormPurpose::Register, Amount::ZERO, currency).await;
    };
    let command = token_command(context, card, currency, customer, order);
    let renewed = context.payments.update_token_card(&token_id, command).await.map_err(error::of_token)?;
    Ok(payment(&View::fresh(&renewed.verification.transaction), context.now))
}
