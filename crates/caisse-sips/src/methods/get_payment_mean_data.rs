//! wallet/getPaymentMeanData: one mean of a wallet.

use crate::answer::Answer;
use crate::fields::Fields;
use crate::methods::Context;
use crate::methods::wallet::{mean_data, wallet_failure};
use crate::response_code::ResponseCode;

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Answer, Answer> {
    let merchant_wallet_id = fields.merchant_wallet_id()?;
    let payment_mean_id = fields.payment_mean_id()?;
    let mean = context
        .payments
        .wallet_payment_mean(context.shop_id, &merchant_wallet_id, payment_mean_id)
        .await
        .map_err(wallet_failure)?;
    let mut answer = Answer::new(ResponseCode::Accepted);
    answer.container("walletPaymentMeanData", mean_data(&mean));
    Ok(answer)
}
