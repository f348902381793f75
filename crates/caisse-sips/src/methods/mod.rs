//! One module per method: read its fields into a core command, call `Payments`, map the
//! outcome to answer fields. The core decides; these only translate. `run` is the only
//! dispatch.

mod cancel;
mod card_order;
mod common;
mod credit_holder;
mod duplicate;
mod get_transaction_data;
mod refund;
mod validate;

use crate::answer::Answer;
use crate::fields::Fields;
use crate::registry::MethodId;
use caisse_core::ShopId;
use caisse_core::payments::Payments;
use chrono::{DateTime, Utc};

/// What a method needs besides its fields: the checks before it have authenticated `shop_id`.
pub struct Context<'a> {
    pub payments: &'a Payments,
    pub shop_id: &'a ShopId,
    /// The time of the call (the core's clock): stands in for a missing s10 date.
    pub now: DateTime<Utc>,
}

pub async fn run(method: MethodId, context: &Context<'_>, fields: &Fields<'_>) -> Answer {
    let outcome = match method {
        MethodId::CardOrder => card_order::handle(context, fields).await,
        MethodId::Cancel => cancel::handle(context, fields).await,
        MethodId::Refund => refund::handle(context, fields).await,
        MethodId::Validate => validate::handle(context, fields).await,
        MethodId::Duplicate => duplicate::handle(context, fields).await,
        MethodId::CreditHolder => credit_holder::handle(context, fields).await,
        MethodId::GetTransactionData => get_transaction_data::handle(context, fields).await,
    };
    match outcome {
        Ok(answer) | Err(answer) => answer,
    }
}
