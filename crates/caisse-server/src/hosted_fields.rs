//! The Sips hosted-fields page: for a session opened by hostedFieldsInitialize, a card form
//! whose post caisse checks (Luhn unless a test range, expiry) and turns into a single-use
//! `paymentToken` for the session's merchant. Works without JavaScript (the post answers an
//! HTML page showing the token); the SDK at `sdkUrl` posts it in-page and gets JSON instead.
//! The card number never comes back: only its masked form.

use crate::lyra::public_base_url;
use crate::state::AppState;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use caisse_core::card::{CardBrand, CardExpiry, Pan};
use caisse_core::command::CardInput;
use caisse_core::payment_token::{HostedFieldsSession, PaymentTokenRefusal};
use caisse_core::payments::PaymentError;
use caisse_core::payments::payment_tokens::{GeneratedPaymentToken, PaymentTokenError};
use caisse_sips::HOSTED_FIELDS_SDK_PATH;
use caisse_sips::response_code::{self, Failure};
use minijinja::context;
use serde::Deserialize;
use serde_json::json;

pub const FORM_PATH: &str = "/paymentprovider/hostedfields/form";
pub const TOKEN_PATH: &str = "/paymentprovider/hostedfields/paymentToken";
/// A card form is a few hundred bytes.
const MAX_BODY_BYTES: usize = 8 * 1024;

const SDK_JS: &str = include_str!("../templates/hosted_fields/sdk.js");

pub fn router() -> Router<AppState> {
    Router::new()
        .route(HOSTED_FIELDS_SDK_PATH, get(sdk))
        .route(FORM_PATH, get(form))
        .route(TOKEN_PATH, post(payment_token))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

fn render(name: &str, values: minijinja::Value) -> String {
    crate::templates::render(name, values)
}

async fn sdk() -> Response {
    ([(header::CONTENT_TYPE, "application/javascript; charset=utf-8")], SDK_JS).into_response()
}

#[derive(Deserialize)]
struct FormQuery {
    #[serde(rename = "merchantSessionToken")]
    session: Option<String>,
}

/// The card form of a session (`?merchantSessionToken=…`).
async fn form(State(state): State<AppState>, headers: HeaderMap, Query(query): Query<FormQuery>) -> Response {
    let text = query.session.unwrap_or_default();
    match state.payments.hosted_fields_session(&text) {
        Ok(session) => form_page(&state, &headers, &text, &session, None).into_response(),
        Err(refusal) => session_error(refusal, false),
    }
}

fn form_page(
    state: &AppState,
    headers: &HeaderMap,
    text: &str,
    session: &HostedFieldsSession,
    error: Option<String>,
) -> Html<String> {
    let base = public_base_url(state.public_url.as_deref(), headers);
    let brands: Vec<&str> = session.brands.iter().map(|brand| brand.sips_name()).collect();
    Html(render(
        "hosted_fields/form.html",
        context! {
            action => format!("{base}{TOKEN_PATH}"),
            sdk_url => format!("{base}{HOSTED_FIELDS_SDK_PATH}"),
            session => text,
            brands,
            error,
        },
    ))
}

/// The form's fields. Any may be missing: the answer names the one at fault.
#[derive(Deserialize)]
struct CardForm {
    #[serde(rename = "merchantSessionToken", default)]
    session: String,
    #[serde(rename = "cardNumber", default)]
    card_number: String,
    #[serde(rename = "cardExpiryDate", default)]
    card_expiry_date: String,
    #[serde(rename = "cardCSCValue", default)]
    card_csc_value: String,
    #[serde(rename = "paymentMeanBrand", default)]
    payment_mean_brand: String,
}

async fn payment_token(State(state): State<AppState>, headers: HeaderMap, Form(posted): Form<CardForm>) -> Response {
    let wants_json = accepts_json(&headers);
    let session = match state.payments.hosted_fields_session(&posted.session) {
        Ok(session) => session,
        Err(refusal) => return session_error(refusal, wants_json),
    };
    let card = match card_input(&posted) {
        Ok(card) => card,
        Err(failure) => return refused(&state, &headers, &posted.session, &session, failure, wants_json),
    };
    match state.payments.hosted_fields_payment_token(&session, card).await {
        Ok(generated) if wants_json => json_answer(&generated),
        Ok(generated) => token_page(&generated),
        Err(error) => {
            if let PaymentTokenError::Payment(PaymentError::Store(store_error)) = &error {
                tracing::error!(error = %store_error, "store failure");
            }
            let failure = response_code::of_payment_token_error(&error);
            refused(&state, &headers, &posted.session, &session, failure, wants_json)
        }
    }
}

fn json_answer(generated: &GeneratedPaymentToken) -> Response {
    let card = &generated.token.card;
    let answer = json!({
        "responseCode": "00",
        "paymentToken": generated.text,
        "maskedPan": card.masked_pan,
        "panExpiryDate": card.expiry.yyyymm(),
        "paymentMeanBrand": card.brand.sips_name(),
    });
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], answer.to_string()).into_response()
}

fn token_page(generated: &GeneratedPaymentToken) -> Response {
    let card = &generated.token.card;
    Html(render(
        "hosted_fields/token.html",
        context! {
            payment_token => generated.text,
            masked_pan => card.masked_pan,
            brand => card.brand.sips_name(),
            expires_at => generated.token.expires_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        },
    ))
    .into_response()
}

/// Card data refused: JSON for the SDK, else the form again with the reason. HTTP 200 either
/// way: the page worked, the card did not.
fn refused(
    state: &AppState,
    headers: &HeaderMap,
    text: &str,
    session: &HostedFieldsSession,
    failure: Failure,
    wants_json: bool,
) -> Response {
    if wants_json {
        let mut answer = json!({ "responseCode": failure.code.as_str() });
        if let Some(field) = failure.error_field {
            answer["errorFieldName"] = json!(field);
        }
        return (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], answer.to_string()).into_response();
    }
    let reason = match failure.error_field {
        Some(field) => format!("Please check {field} (responseCode {}).", failure.code.as_str()),
        None => format!("Card refused (responseCode {}).", failure.code.as_str()),
    };
    form_page(state, headers, text, session, Some(reason)).into_response()
}

/// No session, a forged one or an expired one: HTTP 400 and nothing to fill in.
fn session_error(refusal: PaymentTokenRefusal, wants_json: bool) -> Response {
    let code = match refusal {
        PaymentTokenRefusal::Expired => response_code::ResponseCode::SessionExpired,
        _ => response_code::ResponseCode::InvalidTransaction,
    };
    if wants_json {
        let answer = json!({ "responseCode": code.as_str(), "errorFieldName": "merchantSessionToken" });
        return (StatusCode::BAD_REQUEST, [(header::CONTENT_TYPE, "application/json")], answer.to_string())
            .into_response();
    }
    let page =
        render("hosted_fields/error.html", context! { error => refusal.to_string(), response_code => code.as_str() });
    (StatusCode::BAD_REQUEST, Html(page)).into_response()
}

fn accepts_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("application/json"))
}

/// The typed card: 30 on the first field that cannot be read (12 when missing).
fn card_input(posted: &CardForm) -> Result<CardInput, Failure> {
    let format = |field| Failure { code: response_code::ResponseCode::FormatError, error_field: Some(field) };
    let missing = |field| Failure { code: response_code::ResponseCode::InvalidTransaction, error_field: Some(field) };
    let digits: String = posted.card_number.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.is_empty() {
        return Err(missing("cardNumber"));
    }
    let pan = Pan::parse(&digits).map_err(|_| format("cardNumber"))?;
    let expiry = posted.card_expiry_date.trim();
    if expiry.is_empty() {
        return Err(missing("cardExpiryDate"));
    }
    let expiry = parse_expiry(expiry).ok_or_else(|| format("cardExpiryDate"))?;
    let csc = posted.card_csc_value.trim();
    let csc = match csc {
        "" => None,
        csc if (3..=4).contains(&csc.len()) && csc.bytes().all(|b| b.is_ascii_digit()) => Some(csc.to_owned()),
        _ => return Err(format("cardCSCValue")),
    };
    let brand_choice = match posted.payment_mean_brand.trim() {
        "" => None,
        name => Some(CardBrand::from_sips_name(name).ok_or_else(|| format("paymentMeanBrand"))?),
    };
    Ok(CardInput { pan, expiry, csc, brand_choice })
}

/// `YYYYMM` (as Office Serveur writes it) or `MM/YY` (as a card shows it).
fn parse_expiry(text: &str) -> Option<CardExpiry> {
    if let Some((month, year)) = text.split_once('/') {
        let (month, year) = (month.trim(), year.trim());
        if month.len() != 2 || year.len() != 2 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        return CardExpiry::new(2000 + year.parse::<u16>().ok()?, month.parse().ok()?);
    }
    CardExpiry::parse_yyyymm(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_formats() {
        assert_eq!(parse_expiry("203012"), CardExpiry::new(2030, 12));
        assert_eq!(parse_expiry("12/30"), CardExpiry::new(2030, 12));
        for bad in ["13/30", "1/30", "12/2030", "2030-12", "abc", "203013"] {
            assert_eq!(parse_expiry(bad), None, "{bad}");
        }
    }

    #[test]
    fn templates_parse_and_escape() {
        let page = render("hosted_fields/error.html", context! { error => "<b>", response_code => "12" });
        assert!(page.contains("&lt;b&gt;"));
    }
}
