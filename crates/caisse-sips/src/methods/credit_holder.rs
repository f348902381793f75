//! cashManagement/creditHolder: a credit to a card with no original transaction. Request
//! and answer follow cardOrder (no SDK documents it; PROTOCOLS.md 5.1).

use crate::answer::Answer;
use crate::fields::Fields;
use crate::methods::Context;
use crate::methods::common::SIPS_MODE;
use crate::methods::common::{authorisation_answer, card_input, failure, order_details};
use caisse_core::command::CreditHolder;

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Answer, Answer> {
    let amount = fields.amount("amount")?;
    let currency = fields.currency()?;
    let reference = fields.required_reference("transactionReference")?;
    let card = card_input(fields)?;
    let order = order_details(fields)?;
    let credited = context
        .payments
        .credit_holder(CreditHolder {
            shop_id: context.shop_id.clone(),
            reference,
            amount,
            currency,
            card,
            order,
            mode: SIPS_MODE,
        })
        .await
        .map_err(failure)?;
    Ok(authorisation_answer(&credited))
}
