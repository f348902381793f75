//! One module per method: read its fields into a core command, call `Payments`, map the
//! outcome to answer fields. The core decides; these only translate. `run` is the only
//! dispatch.

mod add_card;
mod add_direct_debit;
mod cancel;
mod card_check_enrollment;
mod card_order;
mod card_validate_authentication;
mod card_validate_authentication_and_order;
mod common;
mod credit_holder;
mod delete_payment_mean;
mod duplicate;
mod get_card_data;
mod get_payment_mean_data;
mod get_transaction_data;
mod get_wallet_data;
mod hosted_fields_initialize;
mod payment_token_generate;
mod refund;
mod sign_off;
mod update_payment_mean;
mod validate;
mod wallet;
mod wallet_check_enrollment;
mod wallet_credit_holder;
mod wallet_order;

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
    /// caisse's public base URL for this request, when the transport knows it.
    pub public_url: Option<&'a str>,
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
        MethodId::GetCardData => get_card_data::handle(context, fields).await,
        MethodId::AddCard => add_card::handle(context, fields).await,
        MethodId::AddDirectDebit => add_direct_debit::handle(context, fields).await,
        MethodId::GetWalletData => get_wallet_data::handle(context, fields).await,
        MethodId::GetPaymentMeanData => get_payment_mean_data::handle(context, fields).await,
        MethodId::UpdatePaymentMean => update_payment_mean::handle(context, fields).await,
        MethodId::DeletePaymentMean => delete_payment_mean::handle(context, fields).await,
        MethodId::SignOff => sign_off::handle(context, fields).await,
        MethodId::WalletOrder => wallet_order::handle(context, fields).await,
        MethodId::WalletCreditHolder => wallet_credit_holder::handle(context, fields).await,
        MethodId::CardCheckEnrollment => card_check_enrollment::handle(context, fields).await,
        MethodId::WalletCheckEnrollment => wallet_check_enrollment::handle(context, fields).await,
        MethodId::CardValidateAuthentication => card_validate_authentication::handle(context, fields).await,
        MethodId::CardValidateAuthenticationAndOrder => {
            card_validate_authentication_and_order::handle(context, fields).await
        }
        MethodId::PaymentTokenGenerate => payment_token_generate::handle(context, fields).await,
        MethodId::HostedFieldsInitialize => hosted_fields_initialize::handle(context, fields).await,
    };
    match outcome {
        Ok(answer) | Err(answer) => answer,
    }
}
