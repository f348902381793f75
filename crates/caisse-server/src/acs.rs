//! caisse's simulated ACS (3-D Secure Access Control Server). The holder's browser POSTs the
//! PaReq, TermUrl and MD that cardCheckEnrollment's answer told the merchant to send; a
//! challenged card gets a page with Authenticate / Fail / Cancel (a plain form: no JavaScript
//! needed), other enrolled cards are decided at once. The decision is recorded once, then an
//! auto-submitting form (with a visible button for browsers without JavaScript) POSTs the
//! signed PaRes and the MD back to TermUrl.

use crate::lyra::public_base_url;
use crate::state::AppState;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::post;
use caisse_core::payments::{AcsSession, PaymentError, ThreeDsError};
use caisse_core::three_ds::{HolderChoice, ThreeDsRefusal};
use minijinja::context;
use serde::Deserialize;

/// Where the browser posts the PaReq (cardCheckEnrollment's `redirectionUrl`).
pub const AUTHENTICATE_PATH: &str = "/acs/authenticate";
/// Where the challenge page posts the holder's choice.
pub const DECIDE_PATH: &str = "/acs/decide";
/// PaReq, TermUrl, MD and a choice: a few kilobytes at most.
const MAX_BODY_BYTES: usize = 16 * 1024;
/// The 3-D Secure specification's limit for MD (after its optional Base64).
const MD_BYTES_MAX: usize = 1024;
const TERM_URL_CHARS_MAX: usize = 2048;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(AUTHENTICATE_PATH, post(authenticate))
        .route(DECIDE_PATH, post(decide))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

fn render(name: &str, values: minijinja::Value) -> Html<String> {
    Html(crate::templates::render(name, values))
}

/// The merchant's form (field names as in the Sips JSON guide).
#[derive(Deserialize)]
struct Posted {
    #[serde(rename = "PaReq", default)]
    pa_req: String,
    #[serde(rename = "TermUrl", default)]
    term_url: String,
    #[serde(rename = "MD", default)]
    md: String,
    #[serde(default)]
    choice: Option<String>,
}

impl Posted {
    /// TermUrl must be an http(s) URL; MD printable ASCII of at most 1024 bytes. `Err`: why not.
    fn check(&self) -> Result<(), &'static str> {
        let term_url = self.term_url.trim();
        let well_formed = (term_url.starts_with("https://") || term_url.starts_with("http://"))
            && term_url.len() <= TERM_URL_CHARS_MAX
            && !term_url.chars().any(char::is_whitespace);
        if !well_formed {
            return Err("TermUrl is missing or is not an http(s) URL.");
        }
        if self.md.len() > MD_BYTES_MAX || !self.md.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
            return Err("MD must be printable ASCII of at most 1024 bytes.");
        }
        if self.pa_req.is_empty() {
            return Err("PaReq is missing.");
        }
        Ok(())
    }
}

/// The PaReq's page: the challenge, or straight back to the merchant for a card the ACS
/// decides alone.
async fn authenticate(State(state): State<AppState>, headers: HeaderMap, Form(posted): Form<Posted>) -> Response {
    if let Err(reason) = posted.check() {
        return error_page(StatusCode::BAD_REQUEST, reason);
    }
    let session = match state.payments.acs_session(&posted.pa_req).await {
        Ok(session) => session,
        Err(error) => return failure_page(error),
    };
    if session.authentication.outcome.is_some() {
        return failure_page(ThreeDsError::Refused(ThreeDsRefusal::AlreadyDecided));
    }
    if session.authentication.enrolment.automatic_outcome().is_some() {
        // Frictionless (or failing) card: the holder is not asked.
        return decided(&state, &posted, HolderChoice::Authenticate).await;
    }
    challenge_page(&state, &headers, &posted, &session).into_response()
}

/// The holder's choice on the challenge page.
async fn decide(State(state): State<AppState>, Form(posted): Form<Posted>) -> Response {
    if let Err(reason) = posted.check() {
        return error_page(StatusCode::BAD_REQUEST, reason);
    }
    let choice = match posted.choice.as_deref() {
        Some("authenticate") => HolderChoice::Authenticate,
        Some("fail") => HolderChoice::Fail,
        Some("cancel") => HolderChoice::Cancel,
        _ => return error_page(StatusCode::BAD_REQUEST, "Choose Authenticate, Fail or Cancel."),
    };
    decided(&state, &posted, choice).await
}

async fn decided(state: &AppState, posted: &Posted, choice: HolderChoice) -> Response {
    match state.payments.acs_decide(&posted.pa_req, choice).await {
        Ok((authentication, pa_res)) => {
            let status = authentication.outcome.map(|outcome| outcome.holder_authent_status()).unwrap_or_default();
            render(
                "acs/return.html",
                context! { term_url => posted.term_url.trim(), pa_res => pa_res, md => posted.md, status => status },
            )
            .into_response()
        }
        Err(error) => failure_page(error),
    }
}

fn challenge_page(state: &AppState, headers: &HeaderMap, posted: &Posted, session: &AcsSession) -> Html<String> {
    let transaction = &session.transaction;
    let base = public_base_url(state.public_url.as_deref(), headers);
    let masked_pan = transaction.card.as_ref().map(|card| card.masked_pan.clone()).unwrap_or_default();
    render(
        "acs/challenge.html",
        context! {
            merchant => if session.shop_name.is_empty() { transaction.shop_id.as_str().to_owned() } else { session.shop_name.clone() },
            amount => transaction.amount.decimal_text(transaction.currency),
            currency => transaction.currency.alpha_code(),
            masked_pan => masked_pan,
            date => transaction.created_at.format("%Y-%m-%d").to_string(),
            decide_url => format!("{base}{DECIDE_PATH}"),
            pa_req => posted.pa_req,
            term_url => posted.term_url.trim(),
            md => posted.md,
        },
    )
}

fn failure_page(error: ThreeDsError) -> Response {
    let (status, text) = match &error {
        ThreeDsError::Message { .. } => (StatusCode::BAD_REQUEST, "This PaReq was not issued by caisse."),
        ThreeDsError::UnknownAuthentication | ThreeDsError::Payment(PaymentError::UnknownTransaction) => {
            (StatusCode::NOT_FOUND, "This authentication is unknown.")
        }
        ThreeDsError::Refused(_) => (StatusCode::CONFLICT, "This authentication has already been completed."),
        ThreeDsError::Payment(PaymentError::Store(store_error)) => {
            tracing::error!(error = %store_error, "store failure on the ACS page");
            (StatusCode::SERVICE_UNAVAILABLE, "The authentication service is unavailable; try again.")
        }
        _ => (StatusCode::BAD_REQUEST, "This authentication cannot go on."),
    };
    error_page(status, text)
}

fn error_page(status: StatusCode, text: &str) -> Response {
    (status, render("acs/error.html", context! { error => text })).into_response()
}
