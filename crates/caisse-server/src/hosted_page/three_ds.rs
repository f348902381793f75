//! The hosted page's 3-D Secure step: the browser goes to caisse's ACS with the PaReq, a
//! TermUrl back to the session and the session id as MD; the ACS posts the PaRes back here,
//! which authorises (or ends) the session's waiting transaction.

use super::ipn;
use super::result::result_page;
use super::texts::texts;
use super::{Page, render, session_failure};
use crate::acs::AUTHENTICATE_PATH;
use crate::state::AppState;
use axum::extract::{Form, Path, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use caisse_core::payment_session::SessionStatus;
use caisse_core::payments::SessionAuthentication;
use caisse_lyra::form::{FormOutcome, ThreeDsResult};
use minijinja::context;
use serde::Deserialize;

/// Where the ACS posts the PaRes for a session.
fn term_url(page: &Page<'_>) -> String {
    format!("{}/3ds", page.action())
}

/// The auto-submitting form that takes the buyer to the ACS.
pub(super) fn to_acs(page: &Page<'_>, pa_req: &str) -> Html<String> {
    let fields = [("PaReq", pa_req.to_owned()), ("TermUrl", term_url(page)), ("MD", page.session.id.clone())];
    redirect(page, format!("{}{AUTHENTICATE_PATH}", page.base), &fields)
}

/// A session whose 3-D Secure step is not over (the buyer came back to the page): to the ACS
/// while it has not decided, else on with its PaRes.
pub(super) fn waiting_page(page: &Page<'_>, step: &SessionAuthentication) -> Html<String> {
    match &step.pa_res {
        None => to_acs(page, &step.pa_req),
        Some(pa_res) => {
            let fields = [("PaRes", pa_res.clone()), ("MD", page.session.id.clone())];
            redirect(page, term_url(page), &fields)
        }
    }
}

fn redirect(page: &Page<'_>, action: String, fields: &[(&str, String)]) -> Html<String> {
    let t = texts(&page.request);
    render(
        "hosted_page/redirect.html",
        context! { lang => t.lang, t => t, heading => t.authenticating, note => t.authenticating_note, action => action, fields => fields },
    )
}

/// What the ACS posts back (field names of the 3-D Secure redirection).
#[derive(Deserialize)]
pub(super) struct AcsReturn {
    #[serde(rename = "PaRes", default)]
    pa_res: String,
}

pub(super) async fn returned(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(posted): Form<AcsReturn>,
) -> Response {
    let mut page = match super::page(&state, &headers, &id).await {
        Ok(page) => page,
        Err(response) => return response,
    };
    let ipn = match ipn::end_of_payment(&page).await {
        Ok(ipn) => ipn,
        Err(response) => return response,
    };
    let customer = super::register::customer(&page.request);
    let completed = state
        .payments
        .complete_session_authentication(&id, &posted.pa_res, customer, move |transaction, authentication| {
            ipn(transaction, ThreeDsResult::of(authentication.enrolment, authentication.outcome))
        })
        .await;
    match completed {
        Ok(validated) => {
            let authentication = &validated.authentication;
            let three_ds = ThreeDsResult::of(authentication.enrolment, authentication.outcome);
            page.session.status = SessionStatus::Paid(validated.transaction.id.clone());
            result_page(&page, FormOutcome::transaction(validated.transaction, three_ds)).await.into_response()
        }
        Err(error) => session_failure(&page, error).await,
    }
}
