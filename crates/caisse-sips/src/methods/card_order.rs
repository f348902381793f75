//! checkout/cardOrder: a card payment with the card's data in the request, or a hosted-fields
//! `paymentToken` in their place.

use crate::answer::Answer;
use crate::fields::Fields;
use crate::methods::Context;
use crate::methods::common::{CardPayment, authorisation_answer, card_payment, failure};
use crate::methods::payment_token_generate::token_failure;

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Answer, Answer> {
    let authorised = match card_payment(context, fields)? {
        CardPayment::Card(command) => context.payments.authorise(command).await.map_err(failure)?,
        CardPayment::PaymentToken(command) => {
            context.payments.pay_with_payment_token(command).await.map_err(token_failure)?
        }
    };
    Ok(authorisation_answer(&authorised))
}
