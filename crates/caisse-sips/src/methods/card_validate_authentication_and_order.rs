//! checkout/cardValidateAuthenticationAndOrder: checks the PaRes as cardValidateAuthentication
//! does and authorises the transaction with its vault card at once. Answers as cardOrder, plus
//! amount, currencyCode and the holderAuthent* fields; after a failed or cancelled
//! authentication no authorisation is asked (05 / 17).

use crate::answer::Answer;
use crate::fields::Fields;
use crate::methods::Context;
use crate::methods::card_validate_authentication::{code_of, holder_authent_fields, request, three_ds_failure};
use crate::methods::common::{authorisation_answer, card_fields, s10_reference};
use caisse_core::payments::Authorised;
use caisse_core::three_ds::Outcome;

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Answer, Answer> {
    let command = request(context, fields)?;
    let validated = context.payments.validate_authentication_and_order(command).await.map_err(three_ds_failure)?;
    let outcome = validated.authentication.outcome.unwrap_or(Outcome::NotEnrolled);
    let transaction = validated.transaction;
    let mut answer = match validated.decision {
        Some(decision) => authorisation_answer(&Authorised { transaction: transaction.clone(), decision }),
        None => {
            let mut answer = Answer::new(code_of(outcome));
            answer
                .date_time("transactionDateTime", transaction.created_at)
                .text("transactionReference", transaction.reference.clone());
            s10_reference(&mut answer, &transaction);
            if let Some(card) = &transaction.card {
                card_fields(&mut answer, card);
            }
            answer
                .maybe_text("returnContext", transaction.order.return_context.clone())
                .maybe_text("orderId", transaction.order.order_id.clone())
                .text("guaranteeIndicator", outcome.guarantee_indicator());
            answer
        }
    };
    answer.number("amount", transaction.amount.minor_units()).text("currencyCode", transaction.currency.numeric_code());
    // guaranteeIndicator comes with the authorisation (Y after a successful authentication);
    // a refused authorisation has none.
    holder_authent_fields(&mut answer, &validated.authentication, outcome);
    Ok(answer)
}
