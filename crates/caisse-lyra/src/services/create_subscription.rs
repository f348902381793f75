//! Charge/CreateSubscription (research §5.1): a card token charged on the dates of an RFC 5545
//! rule from `effectDate`, the first `initialAmountNumber` installments at `initialAmount`.
//! The scheduler charges each installment as a transaction under the subscription's orderId.

use crate::error::{self, ErrorCode, WsError};
use crate::fields::{Fields, INITIAL_AMOUNT_NUMBER_MAX, TEXT_CHARS_MAX, transaction_card_options};
use crate::json::Object;
use crate::objects::subscription::subscription_created;
use crate::services::Context;
use crate::services::common::load_token;
use caisse_core::subscription::NewSubscription;
use caisse_core::transaction::new_uuid;
use caisse_core::{Amount, Currency};
use chrono::{DateTime, Utc};

/// What CreateSubscription and Subscription/Update share: amounts, start and rule.
pub struct Schedule {
    pub amount: Amount,
    pub currency: Currency,
    pub initial_amount: Option<Amount>,
    pub initial_amount_number: u32,
    pub effect_date: DateTime<Utc>,
    pub rrule: String,
}

/// Reads and checks the schedule fields; `effectDate` may be today, not earlier.
pub fn schedule(context: &Context<'_>, fields: &Fields<'_>) -> Result<Schedule, WsError> {
    let amount = fields
        .positive_amount("amount", ErrorCode::Int009)?
        .ok_or_else(|| WsError::invalid(ErrorCode::Int009, "amount", "null"))?;
    let currency = fields.required_currency("currency")?;
    let effect_date = fields.required_date_time("effectDate", ErrorCode::Int069)?;
    if effect_date.date_naive() < context.now.date_naive() {
        return Err(WsError::invalid(ErrorCode::Int069, "effectDate", &crate::fields::raw(fields.given("effectDate"))));
    }
    let rrule = fields.required_text("rrule", TEXT_CHARS_MAX, ErrorCode::Int064)?;
    caisse_core::subscription::validate_rule(rrule, effect_date)
        .map_err(|_| WsError::invalid(ErrorCode::Int064, "rrule", rrule))?;
    let initial_amount = fields.positive_amount("initialAmount", ErrorCode::Int066)?;
    let initial_amount_number = fields.count("initialAmountNumber", INITIAL_AMOUNT_NUMBER_MAX, ErrorCode::Int068)?;
    let initial_amount_number = match (initial_amount, initial_amount_number) {
        (Some(_), Some(number)) => u32::try_from(number).unwrap_or(0),
        (None, None) => 0,
        (Some(_), None) | (None, Some(_)) => return Err(WsError::new(ErrorCode::Int880)),
    };
    Ok(Schedule { amount, currency, initial_amount, initial_amount_number, effect_date, rrule: rrule.to_owned() })
}

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Object, WsError> {
    let token_id = fields.required_token("paymentMethodToken")?;
    let schedule = schedule(context, fields)?;
    let order_id = fields.order_id()?;
    let description = fields.text("description", TEXT_CHARS_MAX, ErrorCode::Int815)?.map(str::to_owned);
    fields.text("comment", TEXT_CHARS_MAX, ErrorCode::Int898)?;
    let metadata = fields.echoed_object("metadata", ErrorCode::Int091)?.unwrap_or_default();
    transaction_card_options(fields)?;
    load_token(context, &token_id).await?;
    let new = NewSubscription {
        id: new_uuid(),
        shop_id: context.shop_id.clone(),
        mode: context.mode,
        token_id,
        amount: schedule.amount,
        currency: schedule.currency,
        initial_amount: schedule.initial_amount,
        initial_amount_number: schedule.initial_amount_number,
        effect_date: schedule.effect_date,
        rrule: schedule.rrule,
        order_id,
        description,
        metadata,
    };
    let created = context.payments.create_subscription(new).await.map_err(error::of_subscription)?;
    Ok(subscription_created(&created))
}
