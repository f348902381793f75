//! authentication/hostedFieldsInitialize: opens a hosted-fields session. The answer's
//! `merchantSessionToken` lets the cardholder's browser post card data to caisse's
//! hosted-fields page (served at `sdkUrl`'s host), which answers a `paymentToken`.

use crate::HOSTED_FIELDS_SDK_PATH;
use crate::answer::Answer;
use crate::fields::{FieldError, FieldResult, Fields};
use crate::methods::Context;
use crate::response_code::ResponseCode;
use caisse_core::card::CardBrand;
use serde_json::Value;

/// The base of `sdkUrl` when the transport did not say which host the request reached (a
/// direct call of the library): as the server's own fallback for a request without Host.
const FALLBACK_PUBLIC_URL: &str = "http://localhost";

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Answer, Answer> {
    // Accepted and not used: caisse runs no fraud screening on the browser's address.
    fields.text("customerIpAddress")?;
    let brands = brand_list(fields)?;
    let session = context.payments.open_hosted_fields_session(context.shop_id.clone(), brands);
    let base = context.public_url.unwrap_or(FALLBACK_PUBLIC_URL).trim_end_matches('/');
    let mut answer = Answer::new(ResponseCode::Accepted);
    answer.text("merchantSessionToken", session).text("sdkUrl", format!("{base}{HOSTED_FIELDS_SDK_PATH}"));
    Ok(answer)
}

/// `paymentMeanBrandList`: a list of brand names (a single name is read as a list of one);
/// absent, every brand of the shop.
fn brand_list(fields: &Fields<'_>) -> FieldResult<Vec<CardBrand>> {
    const NAME: &str = "paymentMeanBrandList";
    let brand = |value: &Value| value.as_str().and_then(CardBrand::from_sips_name).ok_or(FieldError::format(NAME));
    match fields.given(NAME) {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items.iter().map(brand).collect(),
        Some(single @ Value::String(_)) => Ok(vec![brand(single)?]),
        Some(_) => Err(FieldError::format(NAME)),
    }
}
