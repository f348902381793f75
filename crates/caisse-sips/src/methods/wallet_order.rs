//! checkout/walletOrder: a card payment with a card of a wallet; answers as cardOrder.

use crate::answer::Answer;
use crate::fields::Fields;
use crate::methods::Context;
use crate::methods::common::authorisation_answer;
use crate::methods::wallet::{payment_failure, wallet_payment};

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Answer, Answer> {
    let payment = wallet_payment(context, fields)?;
    let authorised = context.payments.wallet_order(payment).await.map_err(payment_failure)?;
    Ok(authorisation_answer(&authorised))
}
