//! One module per web service: read its fields into a core command, call `Payments`, build the
//! answer object. The core decides; these only translate. `run` is the only dispatch.

mod cancel_or_refund;
mod capture;
pub(crate) mod common;
mod create_payment;
mod create_subscription;
mod create_token;
mod create_token_from_transaction;
mod duplicate;
mod order_get;
mod sdk_test;
mod subscription_cancel;
mod subscription_get;
mod subscription_update;
mod token_cancel;
mod token_get;
mod token_reactivate;
mod token_update;
mod transaction_cancel;
mod transaction_get;
mod transaction_refund;
mod update;
mod validate;

use crate::error::WsError;
use crate::fields::Fields;
use crate::json::Object;
use crate::registry::ServiceId;
use caisse_core::payments::Payments;
use caisse_core::{Mode, ShopId};
use chrono::{DateTime, Utc};

/// What a service needs besides its fields: the caller, authenticated, and the time.
pub struct Context<'a> {
    pub payments: &'a Payments,
    pub shop_id: &'a ShopId,
    /// TEST or PRODUCTION: the password the call was made with.
    pub mode: Mode,
    /// The core clock at the call.
    pub now: DateTime<Utc>,
}

pub async fn run(service: ServiceId, context: &Context<'_>, fields: &Fields<'_>) -> Result<Object, WsError> {
    match service {
        ServiceId::CreatePayment => create_payment::handle(context, fields).await,
        ServiceId::CreateToken => create_token::handle(context, fields).await,
        ServiceId::CreateTokenFromTransaction => create_token_from_transaction::handle(context, fields).await,
        ServiceId::CreateSubscription => create_subscription::handle(context, fields).await,
        ServiceId::SdkTest => sdk_test::handle(fields),
        ServiceId::OrderGet => order_get::handle(context, fields).await,
        ServiceId::TokenGet => token_get::handle(context, fields).await,
        ServiceId::TokenUpdate => token_update::handle(context, fields).await,
        ServiceId::TokenCancel => token_cancel::handle(context, fields).await,
        ServiceId::TokenReactivate => token_reactivate::handle(context, fields).await,
        ServiceId::TransactionGet => transaction_get::handle(context, fields).await,
        ServiceId::TransactionCancelOrRefund => cancel_or_refund::handle(context, fields).await,
        ServiceId::TransactionCancel => transaction_cancel::handle(context, fields).await,
        ServiceId::TransactionRefund => transaction_refund::handle(context, fields).await,
        ServiceId::TransactionValidate => validate::handle(context, fields).await,
        ServiceId::TransactionUpdate => update::handle(context, fields).await,
        ServiceId::TransactionDuplicate => duplicate::handle(context, fields).await,
        ServiceId::TransactionCapture => capture::handle(context, fields).await,
        ServiceId::SubscriptionGet => subscription_get::handle(context, fields).await,
        ServiceId::SubscriptionUpdate => subscription_update::handle(context, fields).await,
        ServiceId::SubscriptionCancel => subscription_cancel::handle(context, fields).await,
    }
}
