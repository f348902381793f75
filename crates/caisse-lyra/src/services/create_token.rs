//! Charge/CreateToken: with card data (PCI), a zero-amount VERIFICATION registers the card and
//! the answer is a `V4/Payment` whose transaction carries the token and the chaining reference
//! (PROTOCOLS.md §4); without, a formToken for the hosted page (purpose: register).

use crate::error::{self, ErrorCode, WsError};
use crate::fields::{Fields, PaymentFormCard, payment_form_card};
use crate::json::Object;
use crate::objects::View;
use crate::objects::payment::payment;
use crate::services::Context;
use crate::services::common::order;
use crate::services::create_payment::{FORM_ACTIONS, open_form};
use caisse_core::command::{CardInput, CreateToken};
use caisse_core::payment_form::FormPurpose;
use caisse_core::transaction::OrderDetails;
use caisse_core::{Amount, Currency};

/// Without `currency` (Lyra's own PCI example sends none), the verification is in euros.
const DEFAULT_CURRENCY: Currency = Currency::EUR;

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Object, WsError> {
    let currency = fields.currency("currency")?.unwrap_or(DEFAULT_CURRENCY);
    let order = order(fields)?;
    let customer = fields.customer()?;
    fields.one_of("formAction", &FORM_ACTIONS, ErrorCode::Int875)?;
    let Some(card) = payment_form_card(fields)? else {
        return open_form(context, fields, FormPurpose::Register, Amount::ZERO, currency).await;
    };
    let command = token_command(context, card, currency, customer, order);
    let registered = context.payments.create_token(command).await.map_err(error::of_token)?;
    Ok(payment(&View::fresh(&registered.verification.transaction), context.now))
}

/// A card to register (CreateToken) or to put in a token (Token/Update), from PCI card data.
pub fn token_command(
    context: &Context<'_>,
    card: PaymentFormCard,
    currency: Currency,
    customer: serde_json::Map<String, serde_json::Value>,
    order: OrderDetails,
) -> CreateToken {
    CreateToken {
        shop_id: context.shop_id.clone(),
        card: CardInput { pan: card.pan, expiry: card.expiry, csc: card.security_code, brand_choice: None },
        currency,
        customer,
        order,
        mode: context.mode,
    }
}
