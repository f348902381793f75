//! The result page and the way back to the shop.

use super::texts::texts;
use super::{Page, render};
use axum::response::Html;
use caisse_core::transaction::{Transaction, TransactionStatus};
use caisse_core::{Amount, Currency};
use caisse_lyra::embedded;
use caisse_lyra::form::record::RestOrigin;
use caisse_lyra::form::{
    Abandonment, Decision, FormOutcome, PaymentRequest, ResultPurpose, ReturnMode, algorithm_of, result_fields,
    sign_result,
};
use minijinja::context;

/// The result page: what happened, and the way back with the signed result fields (`kr-*`
/// for a REST `formToken`).
pub(super) async fn result_page(page: &Page<'_>, outcome: FormOutcome) -> Html<String> {
    let (session, request) = (&page.session, &page.request);
    let t = texts(request);
    let fields = result_fields(request, &outcome, ResultPurpose::Return);
    let result = fields.iter().find(|(name, _)| name == "vads_result").map(|(_, value)| value.clone());
    let (heading, card) = match &outcome.decision {
        Decision::Transaction(transaction) => {
            let card = transaction.card.as_ref().map(|card| card.masked_pan.clone());
            let heading = if accepted(transaction) {
                t.accepted
            } else if left(transaction) {
                t.cancelled
            } else {
                t.refused
            };
            (heading, card)
        }
        Decision::Abandoned(Abandonment::BuyerCancelled) => (t.cancelled, None),
        Decision::Abandoned(Abandonment::SessionExpired) => (t.expired, None),
    };
    // vads_redirect_*: how long the result shows before the browser goes back on its own, and
    // what it says meanwhile (none given: the buyer clicks; a POST return goes at once).
    let returns = &request.returns;
    let (redirect_after, redirect_message) = match &outcome.decision {
        _ if page.rest.is_some() => (None, None),
        Decision::Transaction(transaction) if accepted(transaction) => {
            (returns.redirect_success_timeout, returns.redirect_success_message.clone())
        }
        Decision::Transaction(_) => (returns.redirect_error_timeout, returns.redirect_error_message.clone()),
        Decision::Abandoned(_) => (None, None),
    };
    let way_back = match &page.rest {
        Some(rest) => kr_way_back(page, rest, &outcome).await,
        None => form_way_back(page, &outcome, fields).await,
    };
    render(
        "hosted_page/result.html",
        context! {
            lang => t.lang,
            t => t,
            heading => heading,
            result => result.unwrap_or_default(),
            shop => shop_label(request),
            amount => amount_text(session.payment.amount, session.payment.currency),
            card => card,
            note => Option::<&str>::None,
            return_mode => way_back.mode,
            return_url => way_back.url,
            fields => way_back.fields,
            redirect_after => redirect_after,
            redirect_message => redirect_message,
        },
    )
}

fn accepted(transaction: &Transaction) -> bool {
    transaction.authorisation.acquirer_response_code == "00"
}

/// The buyer left during 3-D Secure (the ACS's cancel, or the session's end).
fn left(transaction: &Transaction) -> bool {
    transaction.status == TransactionStatus::Aborted
}

/// How the browser goes back to the shop: `POST` (an auto-submitting form), `GET` (a link
/// with the fields in its query) or `NONE` (a link without them, or no way back).
struct WayBack {
    mode: &'static str,
    url: Option<String>,
    fields: Vec<(String, String)>,
}

impl WayBack {
    const NONE: WayBack = WayBack { mode: "NONE", url: None, fields: Vec::new() };

    fn to(url: &str, post: bool, fields: Vec<(String, String)>) -> WayBack {
        if post {
            WayBack { mode: "POST", url: Some(url.to_owned()), fields }
        } else {
            WayBack { mode: "GET", url: Some(with_query(url, &fields)), fields: Vec::new() }
        }
    }
}

/// The Form API return: the signed `vads_` fields to the URL and by the mode the form chose.
async fn form_way_back(page: &Page<'_>, outcome: &FormOutcome, fields: Vec<(String, String)>) -> WayBack {
    let (session, returns) = (&page.session, &page.request.returns);
    let signed = match page.form_settings().await {
        Ok(Some(settings)) => {
            settings.key(session.mode).map(|key| sign_result(fields, algorithm_of(settings.algorithm), key))
        }
        Ok(None) => None,
        Err(error) => {
            tracing::warn!(%error, "hosted page: form settings unavailable");
            None
        }
    };
    let url = match &outcome.decision {
        Decision::Transaction(transaction) if accepted(transaction) => returns.url_success.as_ref(),
        Decision::Transaction(transaction) if left(transaction) => returns.url_cancel.as_ref(),
        Decision::Transaction(_) => returns.url_refused.as_ref(),
        Decision::Abandoned(_) => returns.url_cancel.as_ref(),
    }
    .or(returns.url_return.as_ref());
    match (returns.return_mode, url, signed) {
        (_, None, _) => WayBack::NONE,
        (ReturnMode::Get, Some(url), Some(signed)) => WayBack::to(url, false, signed),
        (ReturnMode::Post, Some(url), Some(signed)) => WayBack::to(url, true, signed),
        // NONE (or no key to sign with): back to the shop, without the fields.
        (_, Some(url), _) => WayBack { mode: "NONE", url: Some(url.clone()), fields: Vec::new() },
    }
}

/// A REST `formToken`'s return: `kr-answer` and its `kr-hash` (the shop's HMAC-SHA-256 key)
/// to the URL the embedded client named for success or refusal; an abandonment has none.
async fn kr_way_back(page: &Page<'_>, rest: &RestOrigin, outcome: &FormOutcome) -> WayBack {
    let Decision::Transaction(transaction) = &outcome.decision else {
        return WayBack::NONE;
    };
    let Some((url, post)) = rest.urls.target(accepted(transaction)) else {
        return WayBack::NONE;
    };
    match page.state.payments.store().lyra_credentials(&page.session.shop_id).await {
        Ok(Some(credentials)) => {
            let now = page.state.payments.clock().now();
            let fields = embedded::browser_return(transaction, now, credentials.hmac_key(page.session.mode));
            WayBack::to(url, post, fields)
        }
        Ok(None) => WayBack { mode: "NONE", url: Some(url.to_owned()), fields: Vec::new() },
        Err(error) => {
            tracing::warn!(%error, "hosted page: REST credentials unavailable");
            WayBack { mode: "NONE", url: Some(url.to_owned()), fields: Vec::new() }
        }
    }
}

pub(super) fn with_query(url: &str, fields: &[(String, String)]) -> String {
    let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{query}")
}

pub(super) fn shop_label(request: &PaymentRequest) -> String {
    request.shop_name.clone().unwrap_or_else(|| request.site_id.as_str().to_owned())
}

pub(super) fn amount_text(amount: Amount, currency: Currency) -> String {
    format!("{} {}", amount.decimal_text(currency), currency.alpha_code())
}
