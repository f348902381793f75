//! Sogecommerce Form API V2 transport: `POST /vads-payment/`, the signed form a shop's site
//! posts through the buyer's browser. This module owns what HTTP decides (the body, the
//! answer's status and type) and the warning e-mail; `caisse_lyra::form` checks the form.
//!
//! Every answer is HTTP 200 with an HTML page, a refused form included, as on the platform:
//! the buyer's browser shows it whatever the status, and the error is in the page.

use crate::state::AppState;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use caisse_lyra::form::{CheckError, Refused, check_form, render_error_page};
use caisse_notify::form_warning::{self, RefusedForm};

/// The largest form read: far beyond a form with a full cart.
const MAX_FORM_BYTES: usize = 256 * 1024;

pub fn router() -> Router<AppState> {
    Router::new().route("/vads-payment/", post(vads_payment)).route("/vads-payment", post(vads_payment))
}

/// The body is read as `application/x-www-form-urlencoded` UTF-8 whatever the Content-Type
/// says: anything else decodes to no `signature`, refused with 70.
async fn vads_payment(State(state): State<AppState>, body: Body) -> Response {
    let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, html("<!DOCTYPE html><title>413</title><p>Form too large.</p>".into()))
            .into_response();
    };
    let pairs = pairs_of(&bytes);
    match check_form(&state.payments, pairs.clone()).await {
        Ok(request) if crate::hosted_page::takes(&request) => crate::hosted_page::open(&state, &request, pairs).await,
        Ok(request) => crate::hosted_page::unsupported(&request).into_response(),
        Err(CheckError::Refused(refused)) => {
            tracing::info!(error = %refused.error, shop = ?refused.shop, "payment form refused");
            let page = render_error_page(&refused.error, refused.page_mode, refused.language.as_deref());
            send_warning(&state, *refused);
            html(page).into_response()
        }
        Err(CheckError::Store(error)) => {
            tracing::warn!(%error, "payment form: store unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                html("<!DOCTYPE html><title>503</title><p>Service temporarily unavailable.</p>".into()),
            )
                .into_response()
        }
    }
}

/// The decoded pairs in posted order, duplicates kept (the check refuses a `vads_` name twice).
fn pairs_of(bytes: &Bytes) -> Vec<(String, String)> {
    form_urlencoded::parse(bytes).map(|(name, value)| (name.into_owned(), value.into_owned())).collect()
}

fn html(page: String) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page)
}

/// The warning e-mail to the shop's addresses (to the operator when it has none), sent after
/// the answer: the buyer does not wait for SMTP.
fn send_warning(state: &AppState, refused: Refused) {
    let Some(mailer) = state.mailer.clone() else {
        tracing::warn!("payment form refused: no mailer, no warning e-mail");
        return;
    };
    tokio::spawn(async move {
        let code = refused.error.page_code();
        let mail = form_warning::compose(&RefusedForm {
            shop_id: refused.shop.as_ref().map(|shop| shop.as_str()),
            mode: refused.page_mode,
            code: &code,
            field: &refused.error.field,
            trans_id: refused.trans_id.as_deref(),
        });
        let shop = refused.shop.as_ref().map_or("unknown", |shop| shop.as_str());
        let name = format!("form-warning-{shop}-{code}");
        if let Err(error) = mailer.send_mail(&name, shop, &refused.warning_emails, &mail).await {
            tracing::warn!(%error, %shop, "payment form warning e-mail not sent");
        }
    });
}
