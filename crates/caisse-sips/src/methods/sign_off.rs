//! wallet/signOff: removes a wallet and all its means.

use crate::answer::Answer;
use crate::fields::Fields;
use crate::methods::Context;
use crate::methods::wallet::{action_answer, wallet_failure};

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Answer, Answer> {
    let merchant_wallet_id = fields.merchant_wallet_id()?;
    let at = context.payments.sign_off(context.shop_id, &merchant_wallet_id).await.map_err(wallet_failure)?;
    Ok(action_answer(at))
}
