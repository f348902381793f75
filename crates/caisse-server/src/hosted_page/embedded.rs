//! A REST V4 `formToken` opens the hosted page: `GET /vads-payment/embedded/<formToken>`, with
//! the embedded client's return URLs in the query (`kr-post-url-success`, `kr-get-url-success`,
//! `kr-post-url-refused`, `kr-get-url-refused`). The token's session is the same page as a
//! Form API post's; its result goes back as `kr-answer` + `kr-hash`.

use super::{SESSION_PREFIX, error_page};
use crate::state::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use caisse_lyra::embedded::{self, KrReturnUrls};
use caisse_lyra::form::record::{RestOrigin, SessionRecord};

pub(super) async fn open(
    State(state): State<AppState>,
    Path(form_token): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let query: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    let urls = match KrReturnUrls::from_query(&query) {
        Ok(urls) => urls,
        Err(name) => {
            return error_page(StatusCode::BAD_REQUEST, &format!("{name} must be an http(s) URL."));
        }
    };
    let opened = state
        .payments
        .open_form_token_session(&form_token, |form| {
            let payment = embedded::session_payment(form)?;
            let rest = RestOrigin {
                form_token: form.form_token.clone(),
                urls,
                ipn_target_url: embedded::ipn_target_url(form),
            };
            Some((payment, SessionRecord { pairs: embedded::page_pairs(form), rest: Some(rest) }.to_json()))
        })
        .await;
    match opened {
        Ok(Some(session)) => Redirect::to(&format!("{SESSION_PREFIX}{}", session.id)).into_response(),
        Ok(None) => error_page(StatusCode::NOT_FOUND, "This form token is unknown, expired, or not a payment's."),
        Err(error) => {
            tracing::warn!(%error, "formToken session: store unavailable");
            super::unavailable()
        }
    }
}
