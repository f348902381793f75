//! cashManagement/duplicate: a new authorisation on the card of an earlier transaction of the
//! same shop, whatever that one's status.

use crate::answer::Answer;
use crate::fields::Fields;
use crate::methods::Context;
use crate::methods::common::SIPS_MODE;
use crate::methods::common::{authorisation_answer, failure, order_details};
use crate::response_code::{Failure, ResponseCode};
use caisse_core::command::Duplicate;

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Answer, Answer> {
    let from = fields.source_transaction_key(context.now.date_naive())?;
    let from_merchant = fields.merchant_id("fromMerchantId")?;
    let reference = fields.required_reference("transactionReference")?;
    let amount = fields.amount("amount")?;
    let currency = fields.currency()?;
    let capture_day = fields.capture_day()?;
    let capture_mode = fields.capture_mode()?;
    let order = order_details(fields)?;
    // Another shop's transaction is answered as if it did not exist: a merchant learns
    // nothing about other shops.
    if from_merchant.is_some_and(|merchant| &merchant != context.shop_id) {
        return Err(Failure::code(ResponseCode::UnknownTransaction).into());
    }
    let authorised = context
        .payments
        .duplicate(Duplicate {
            shop_id: context.shop_id.clone(),
            from,
            reference,
            amount,
            currency,
            capture_mode,
            capture_day,
            order,
            mode: SIPS_MODE,
        })
        .await
        .map_err(failure)?;
    Ok(authorisation_answer(&authorised))
}
