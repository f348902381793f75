//! wallet/getWalletData: a wallet and its means, by rank.

use crate::answer::Answer;
use crate::fields::Fields;
use crate::methods::Context;
use crate::methods::wallet::{mean_data, wallet_failure};
use crate::response_code::ResponseCode;

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Answer, Answer> {
    let merchant_wallet_id = fields.merchant_wallet_id()?;
    let (wallet, means) =
        context.payments.wallet(context.shop_id, &merchant_wallet_id).await.map_err(wallet_failure)?;
    let mut answer = Answer::new(ResponseCode::Accepted);
    answer
        .date_time("walletCreationDateTime", wallet.created_at)
        .date_time("walletLastActionDateTime", wallet.last_action_at)
        .container_list("walletPaymentMeanDataList", means.iter().map(mean_data).collect());
    Ok(answer)
}
