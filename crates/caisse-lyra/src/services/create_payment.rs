//! Charge/CreatePayment, three ways by content (research §2.1): PCI card data
//! (`paymentForms`) → authorised at once; `formAction: SILENT` + `paymentMethodToken` → paid by
//! token at once (zero-click, no IPN); anything else → a `formToken` for the hosted page.

use crate::error::{self, ErrorCode, Operation, WsError};
use crate::fields::{Fields, payment_form_card, transaction_card_options};
use crate::json::Object;
use crate::objects::View;
use crate::objects::payment::payment;
use crate::services::Context;
use crate::services::common::order;
use caisse_core::command::{Authorise, CardInput, PayWithToken};
use caisse_core::payment_form::FormPurpose;
use caisse_core::transaction::new_uuid;
use caisse_core::{Amount, Currency};

pub const FORM_ACTIONS: [&str; 8] = [
    "PAYMENT",
    "REGISTER_PAY",
    "ASK_REGISTER_PAY",
    "SILENT",
    "CUSTOMER_WALLET",
    "REGISTER",
    "REGISTER_UPDATE",
    "REGISTER_UPDATE_PAY",
];

/// The page's purpose for a form action; `SILENT` never reaches a form.
pub fn form_purpose(action: &str) -> FormPurpose {
    match action {
        "REGISTER" | "REGISTER_UPDATE" => FormPurpose::Register,
        "REGISTER_PAY" | "ASK_REGISTER_PAY" | "REGISTER_UPDATE_PAY" => FormPurpose::RegisterPay,
        _ => FormPurpose::Payment,
    }
}

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Object, WsError> {
    let amount = fields.required_amount("amount", ErrorCode::Int009)?;
    let currency = fields.required_currency("currency")?;
    let order = order(fields)?;
    let action = fields.one_of("formAction", &FORM_ACTIONS, ErrorCode::Int875)?.unwrap_or("PAYMENT");
    let token = fields.token("paymentMethodToken")?;
    let options = transaction_card_options(fields)?;
    let card = payment_form_card(fields)?;
    // Zero is for a form that registers a card (a verification), never for a payment.
    let registers_only = card.is_none() && action != "SILENT" && form_purpose(action) != FormPurpose::Payment;
    if amount.is_zero() && !registers_only {
        return Err(WsError::invalid(ErrorCode::Int009, "amount", "0"));
    }
    let (capture_mode, capture_day) = options.capture();
    if let Some(card) = card {
        let command = Authorise {
            shop_id: context.shop_id.clone(),
            reference: new_uuid(),
            amount,
            currency,
            capture_mode,
            capture_day,
            card: CardInput { pan: card.pan, expiry: card.expiry, csc: card.security_code, brand_choice: None },
            order,
            mode: context.mode,
        };
        if form_purpose(action) == FormPurpose::RegisterPay {
            // Pay and keep the card: the answer's transaction carries the new paymentMethodToken.
            let customer = fields.customer()?;
            let (authorised, _token) =
                context.payments.authorise_and_register(command, customer).await.map_err(error::of_token)?;
            return Ok(payment(&View::fresh(&authorised.transaction), context.now));
        }
        let authorised =
            context.payments.authorise(command).await.map_err(|error| error::of_payment(Operation::Payment, error))?;
        return Ok(payment(&View::fresh(&authorised.transaction), context.now));
    }
    if action == "SILENT" {
        let Some(token_id) = token else {
            return Err(WsError::invalid(ErrorCode::Int030, "paymentMethodToken", "null"));
        };
        let command = PayWithToken {
            shop_id: context.shop_id.clone(),
            token_id,
            amount,
            currency,
            capture_mode,
            capture_day,
            order,
            mode: context.mode,
            initial_issuer_transaction_identifier: options.initial_issuer_transaction_identifier,
        };
        return pay_with_token(context, command).await;
    }
    open_form(context, fields, form_purpose(action), amount, currency).await
}

async fn pay_with_token(context: &Context<'_>, command: PayWithToken) -> Result<Object, WsError> {
    match context.payments.pay_with_token(command).await {
        Ok(transaction) => Ok(payment(&View::fresh(&transaction), context.now)),
        Err(error) => Err(error::of_token(error)),
    }
}

/// A hosted-page session for the request (no card data, no SILENT); its formToken is the answer.
/// CreatePayment, CreateToken and Token/Update all open one.
pub async fn open_form(
    context: &Context<'_>,
    fields: &Fields<'_>,
    purpose: FormPurpose,
    amount: Amount,
    currency: Currency,
) -> Result<Object, WsError> {
    let form = context
        .payments
        .create_payment_form(context.shop_id.clone(), context.mode, purpose, amount, currency, fields.map().clone())
        .await
        .map_err(|error| error::of_payment(Operation::Payment, error))?;
    Ok(form_token_answer(&form.form_token))
}

pub fn form_token_answer(form_token: &str) -> Object {
    Object::new().with("formToken", form_token.to_owned()).typed("V4/Charge/PaymentForm")
}
