//! checkout/cardOrder: a card payment with the card's data in the request.

use crate::answer::Answer;
use crate::fields::Fields;
use crate::methods::Context;
use crate::methods::common::SIPS_MODE;
use crate::methods::common::{authorisation_answer, card_input, failure, order_details};
use caisse_core::CaptureMode;
use caisse_core::command::Authorise;

/// Without captureMode / captureDay, a shop's defaults on the platform: AUTHOR_CAPTURE, day 0.
const DEFAULT_CAPTURE_MODE: CaptureMode = CaptureMode::AuthorCapture;
const DEFAULT_CAPTURE_DAY: u8 = 0;

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Answer, Answer> {
    let amount = fields.amount("amount")?;
    let currency = fields.currency()?;
    let reference = fields.required_reference("transactionReference")?;
    let card = card_input(fields)?;
    let capture_day = fields.capture_day()?.unwrap_or(DEFAULT_CAPTURE_DAY);
    let capture_mode = fields.capture_mode()?.unwrap_or(DEFAULT_CAPTURE_MODE);
    let order = order_details(fields)?;
    let authorised = context
        .payments
        .authorise(Authorise {
            shop_id: context.shop_id.clone(),
            reference,
            amount,
            currency,
            capture_mode,
            capture_day,
            card,
            order,
            mode: SIPS_MODE,
        })
        .await
        .map_err(failure)?;
    Ok(authorisation_answer(&authorised))
}
