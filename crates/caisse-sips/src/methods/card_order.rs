//! checkout/cardOrder: a card payment with the card's data in the request, or a hosted-fields
//! `paymentToken` in their place.

use crate::answer::Answer;
use crate::fields::Fields;
use crate::methods::Context;
use crate::methods::common::SIPS_MODE;
use crate::methods::common::{CardSource, authorisation_answer, card_source, failure, order_details};
use crate::methods::payment_token_generate::token_failure;
use caisse_core::CaptureMode;
use caisse_core::command::Authorise;
use caisse_core::payments::payment_tokens::PayWithPaymentToken;

/// Without captureMode / captureDay, a shop's defaults on the platform: AUTHOR_CAPTURE, day 0.
const DEFAULT_CAPTURE_MODE: CaptureMode = CaptureMode::AuthorCapture;
const DEFAULT_CAPTURE_DAY: u8 = 0;

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Answer, Answer> {
    let amount = fields.amount("amount")?;
    let currency = fields.currency()?;
    let reference = fields.required_reference("transactionReference")?;
    let card = card_source(fields)?;
    let capture_day = fields.capture_day()?.unwrap_or(DEFAULT_CAPTURE_DAY);
    let capture_mode = fields.capture_mode()?.unwrap_or(DEFAULT_CAPTURE_MODE);
    let order = order_details(fields)?;
    let shop_id = context.shop_id.clone();
    let authorised = match card {
        CardSource::Card(card) => context
            .payments
            .authorise(Authorise {
                shop_id,
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
            .map_err(failure)?,
        CardSource::PaymentToken(payment_token) => context
            .payments
            .pay_with_payment_token(PayWithPaymentToken {
                shop_id,
                reference,
                amount,
                currency,
                capture_mode,
                capture_day,
                payment_token,
                order,
                mode: SIPS_MODE,
            })
            .await
            .map_err(token_failure)?,
    };
    Ok(authorisation_answer(&authorised))
}
