//! wallet/deletePaymentMean: removes a mean from its wallet for good.

use crate::answer::Answer;
use crate::fields::Fields;
use crate::methods::Context;
use crate::methods::wallet::{action_answer, wallet_failure};

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Answer, Answer> {
    let merchant_wallet_id = fields.merchant_wallet_id()?;
    let payment_mean_id = fields.payment_mean_id()?;
    let at = context
        .payments
        .delete_payment_mean(context.shop_id, &merchant_wallet_id, payment_mean_id)
        .await
        .map_err(wallet_failure)?;
    Ok(action_answer(at))
}
