//! token/paymentTokenGenerate: card data in, a single-use `paymentToken` out, for a later
//! cardOrder by this merchant or by `paymentTokenConsumerMerchantId`.

use crate::answer::Answer;
use crate::fields::Fields;
use crate::methods::Context;
use crate::methods::common::card_input;
use crate::response_code::{self, ResponseCode};
use caisse_core::payment_token::TokenOrigin;
use caisse_core::payments::PaymentError;
use caisse_core::payments::payment_tokens::{GeneratePaymentToken, PaymentTokenError};

/// `paymentMeanBrandSelectionStatus` (data dictionary); read for its format only.
const BRAND_SELECTION_STATUSES: [&str; 3] = ["APPLIED_DEFAULT", "APPLIED_HOLDER", "NOT_APPLICABLE"];

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Answer, Answer> {
    let card = card_input(fields)?;
    let consumer_id = fields.merchant_id("paymentTokenConsumerMerchantId")?;
    fields.one_of("paymentMeanBrandSelectionStatus", &BRAND_SELECTION_STATUSES)?;
    let command = GeneratePaymentToken {
        shop_id: context.shop_id.clone(),
        consumer_id,
        card,
        origin: TokenOrigin::MachineToMachine,
    };
    let generated = context.payments.generate_payment_token(command).await.map_err(token_failure)?;
    let mut answer = Answer::new(ResponseCode::Accepted);
    answer.text("paymentToken", generated.text);
    Ok(answer)
}

/// A payment token error as an answer. Store failures are logged here (never sent: 99).
pub fn token_failure(error: PaymentTokenError) -> Answer {
    if let PaymentTokenError::Payment(PaymentError::Store(store_error)) = &error {
        tracing::error!(error = %store_error, "store failure");
    }
    response_code::of_payment_token_error(&error).into()
}
