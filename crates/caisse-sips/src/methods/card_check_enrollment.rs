//! checkout/cardCheckEnrollment: starts a 3-D Secure card payment. The transaction is
//! created waiting (TO_AUTHORIZE) with its card in the vault; an enrolled card gets the ACS's
//! URL and the messages to POST there, a card that is not enrolled goes straight on to
//! cardValidateAuthenticationAndOrder (redirectionStatusCode other than 00).

use crate::answer::Answer;
use crate::fields::Fields;
use crate::methods::Context;
use crate::methods::common::{CardPayment, card_payment, failure};
use crate::methods::payment_token_generate::token_failure;
use crate::response_code::ResponseCode;
use caisse_core::payments::Enrollment;

/// redirectionStatusCode: 00 = redirect the holder to redirectionUrl.
const REDIRECT: &str = "00";
/// redirectionStatusCode of a card that is not enrolled: no redirection (caisse's choice; the
/// public docs give no value, only "anything but 00").
const NOT_ENROLLED: &str = "01";
/// The ACS page, under caisse's public base URL.
const ACS_PATH: &str = "/acs/authenticate";
/// When the transport knows no public URL (a call with no Host).
const PUBLIC_URL_FALLBACK: &str = "http://localhost";

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Answer, Answer> {
    let enrollment = match card_payment(context, fields)? {
        CardPayment::Card(command) => context.payments.check_enrollment(command).await.map_err(failure)?,
        // The hosted-fields token is spent with the waiting transaction.
        CardPayment::PaymentToken(command) => {
            context.payments.check_enrollment_with_payment_token(command).await.map_err(token_failure)?
        }
    };
    Ok(enrollment_answer(context, &enrollment))
}

/// The answer of cardCheckEnrollment and walletCheckEnrollment.
pub fn enrollment_answer(context: &Context<'_>, enrollment: &Enrollment) -> Answer {
    let authentication = &enrollment.authentication;
    let transaction = &enrollment.transaction;
    let mut answer = Answer::new(ResponseCode::Accepted);
    if authentication.enrolment.is_enrolled() {
        let base = context.public_url.unwrap_or(PUBLIC_URL_FALLBACK).trim_end_matches('/');
        answer
            .text("redirectionStatusCode", REDIRECT)
            .text("redirectionUrl", format!("{base}{ACS_PATH}"))
            .text("paReqMessage", enrollment.pa_req.clone());
    } else {
        answer
            .text("redirectionStatusCode", NOT_ENROLLED)
            .maybe_text("holderAuthentStatus", authentication.outcome.map(|outcome| outcome.holder_authent_status()));
    }
    answer
        .text("redirectionData", enrollment.redirection_data.clone())
        .text("messageVersion", authentication.message_version.clone())
        .text("transactionReference", transaction.reference.clone());
    if let Some(card) = &transaction.card {
        answer.text("maskedPan", card.masked_pan.clone()).text("paymentMeanBrand", card.brand.sips_name());
    }
    answer
}
