//! Subscription/Update: a full replacement of amounts, start and rule, refused once the
//! effect date has passed (research §5.4). `description` is read and not kept.

use crate::error::{self, ErrorCode, WsError};
use crate::fields::{Fields, TEXT_CHARS_MAX};
use crate::json::Object;
use crate::services::Context;
use crate::services::common::response_code_answer;
use crate::services::create_subscription::schedule;
use crate::services::subscription_get::find;
use caisse_core::subscription::SubscriptionChange;

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Object, WsError> {
    let current = find(context, fields).await?;
    let schedule = schedule(context, fields)?;
    fields.text("description", TEXT_CHARS_MAX, ErrorCode::Int815)?;
    let change = SubscriptionChange {
        amount: schedule.amount,
        currency: schedule.currency,
        initial_amount: schedule.initial_amount,
        initial_amount_number: schedule.initial_amount_number,
        effect_date: schedule.effect_date,
        rrule: schedule.rrule,
    };
    context.payments.update_subscription(context.shop_id, &current.id, change).await.map_err(error::of_subscription)?;
    Ok(response_code_answer())
}
