//! checkout/cardValidateAuthentication: checks the PaRes the ACS posted back (caisse's
//! signature, this transaction's, once) and tells the authentication's result; a cardOrder on
//! the same transactionReference then authorises the transaction. A failed or cancelled
//! authentication ends the transaction (REFUSED / ABORTED) and answers 05 / 17.

use crate::answer::Answer;
use crate::fields::Fields;
use crate::methods::Context;
use crate::methods::common::failure;
use crate::response_code::{Failure, ResponseCode};
use caisse_core::payments::{ThreeDsError, ThreeDsField, ValidateAuthentication};
use caisse_core::three_ds::{Enrolment, MessageError, Outcome, ThreeDsAuthentication, ThreeDsRefusal};
use caisse_core::transaction::TransactionKey;

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Answer, Answer> {
    let command = request(context, fields)?;
    let validated = context.payments.validate_authentication(command).await.map_err(three_ds_failure)?;
    let authentication = &validated.authentication;
    let outcome = authentication.outcome.unwrap_or(Outcome::NotEnrolled);
    let mut answer = Answer::new(code_of(outcome));
    answer.text("transactionReference", validated.transaction.reference.clone());
    holder_authent_fields(&mut answer, authentication, outcome);
    answer.text("guaranteeIndicator", outcome.guarantee_indicator());
    Ok(answer)
}

/// The request of cardValidateAuthentication and cardValidateAuthenticationAndOrder:
/// messageVersion and redirectionData (required), paResMessage (required after a
/// redirection), transactionReference (optional, checked when given).
pub fn request(context: &Context<'_>, fields: &Fields<'_>) -> Result<ValidateAuthentication, Answer> {
    let message_version = fields.required_text("messageVersion")?.into_owned();
    let redirection_data = fields.required_text("redirectionData")?.into_owned();
    let pa_res = fields.text("paResMessage")?.map(|text| text.into_owned());
    let key = fields.reference("transactionReference")?.map(TransactionKey::Reference);
    Ok(ValidateAuthentication { shop_id: context.shop_id.clone(), redirection_data, pa_res, message_version, key })
}

/// responseCode of a validation: 00 when the payment may go on, 05 after a failed
/// authentication, 17 when the holder cancelled it.
pub fn code_of(outcome: Outcome) -> ResponseCode {
    match outcome {
        Outcome::Authenticated | Outcome::NotEnrolled => ResponseCode::Accepted,
        Outcome::Failed => ResponseCode::Refused,
        Outcome::Cancelled => ResponseCode::CustomerCancellation,
    }
}

/// holderAuthentStatus and the fields that go with it; holderAuthentRelegation says whether
/// the liability shift was refused (Y) or not (N). The shift itself shows as
/// guaranteeIndicator Y, which each method adds as it stands.
pub fn holder_authent_fields(answer: &mut Answer, authentication: &ThreeDsAuthentication, outcome: Outcome) {
    let (method, response_code) = match outcome {
        Outcome::Authenticated if authentication.enrolment == Enrolment::Frictionless => ("NO_AUTHENT_METHOD", "00"),
        Outcome::Authenticated => ("PASSWORD", "00"),
        Outcome::Failed => ("PASSWORD", "05"),
        Outcome::Cancelled => ("PASSWORD", "17"),
        Outcome::NotEnrolled => ("NO_AUTHENT", "00"),
    };
    answer
        .text("holderAuthentStatus", outcome.holder_authent_status())
        .text("holderAuthentMethod", method)
        .text("holderAuthentProgram", "3DS")
        .text("holderAuthentResponseCode", response_code)
        .text("holderAuthentRelegation", if outcome.liability_shift() { "N" } else { "Y" });
}

/// A 3-D Secure error as an answer.
pub fn three_ds_failure(error: ThreeDsError) -> Answer {
    let field_error = |code, field| Failure { code, error_field: Some(field_name(field)) }.into();
    match error {
        ThreeDsError::Payment(error) => failure(error),
        ThreeDsError::Message { field, error: MessageError::Malformed } => {
            field_error(ResponseCode::FormatError, field)
        }
        // A message caisse did not sign: fraud suspicion, as a wrong seal.
        ThreeDsError::Message { error: MessageError::Forged, .. } => Failure::code(ResponseCode::SealError).into(),
        ThreeDsError::OtherTransaction(field) => field_error(ResponseCode::InvalidTransaction, field),
        ThreeDsError::MessageVersion => field_error(ResponseCode::InvalidTransaction, ThreeDsField::MessageVersion),
        ThreeDsError::PaResMissing => field_error(ResponseCode::InvalidTransaction, ThreeDsField::PaRes),
        ThreeDsError::UnknownAuthentication => Failure::code(ResponseCode::UnknownTransaction).into(),
        ThreeDsError::Refused(ThreeDsRefusal::Transaction(refusal)) => {
            failure(caisse_core::payments::PaymentError::Refused(refusal))
        }
        // A PaRes spent already, or not decided yet: not allowed in this state.
        ThreeDsError::Refused(_) => Failure::code(ResponseCode::NotAllowed).into(),
    }
}

fn field_name(field: ThreeDsField) -> &'static str {
    match field {
        ThreeDsField::PaReq => "PaReq",
        ThreeDsField::PaRes => "paResMessage",
        ThreeDsField::RedirectionData => "redirectionData",
        ThreeDsField::MessageVersion => "messageVersion",
        ThreeDsField::TransactionReference => "transactionReference",
    }
}
