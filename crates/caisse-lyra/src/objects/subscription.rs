//! `V4/Subscription` (research §5.3) and `V4/SubscriptionCreated`.

use crate::json::{Json, Object};
use crate::objects::date_time;
use caisse_core::subscription::Subscription;

pub fn subscription(subscription: &Subscription) -> Object {
    let metadata =
        if subscription.metadata.is_empty() { Json::Null } else { Json::Raw(subscription.metadata.clone().into()) };
    let initial_amount_number = subscription.initial_amount.map(|_| subscription.initial_amount_number);
    Object::new()
        .with("subscriptionId", subscription.id.clone())
        .with("shopId", subscription.shop_id.as_str().to_owned())
        .with("paymentMethodToken", subscription.token_id.clone())
        .with("orderId", subscription.order_id.clone())
        .with("metadata", metadata)
        .with("effectDate", date_time(subscription.effect_date))
        .with("cancelDate", subscription.cancelled_at.map(date_time))
        .with("initialAmount", subscription.initial_amount.map(|amount| amount.minor_units()))
        .with("initialAmountNumber", initial_amount_number)
        .with("amount", subscription.amount.minor_units())
        .with("currency", subscription.currency.alpha_code())
        .with("pastPaymentsNumber", subscription.past_payments_number)
        .with("totalPaymentsNumber", subscription.total_payments_number)
        .with("rrule", subscription.rrule.clone())
        .with("description", subscription.description.clone())
        .typed("V4/Subscription")
}

pub fn subscription_created(subscription: &Subscription) -> Object {
    Object::new()
        .with("subscriptionId", subscription.id.clone())
        .with("paymentMethodToken", subscription.token_id.clone())
        .typed("V4/SubscriptionCreated")
}
