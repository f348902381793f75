//! The Form API hosted payment page: an accepted form opens a session and the browser goes to
//! `/vads-payment/session/<id>`, a card form (no JavaScript needed). Its post pays the session
//! once (or cancels it) and answers the result page: the signed result fields and the way back
//! to the shop by `vads_return_mode`. A card enrolled in 3-D Secure goes through caisse's ACS
//! first and comes back to `/vads-payment/session/<id>/3ds`. The end-of-payment IPN is written
//! with the payment. The card number never comes back: only its masked form.

mod card;
mod cpay;
mod embedded;
mod expiry;
mod ipn;
mod register;
mod result;
mod texts;
mod three_ds;

use crate::lyra::public_base_url;
use crate::state::AppState;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use caisse_core::cpay::CpayOption;
use caisse_core::form_settings::FormSettings;
use caisse_core::payment_session::{PaymentSession, SessionPayment, SessionStatus};
use caisse_core::payments::{PaymentError, SessionCard, SessionError, SessionStep};
use caisse_core::ports::StoreError;
use caisse_core::three_ds::{Enrolment, Outcome};
use caisse_core::transaction::{CaptureMode, OrderDetails, TransactionKey};
use caisse_core::{Amount, Currency, three_ds as core_three_ds};
use caisse_lyra::form::cpay::is_cpay;
use caisse_lyra::form::record::{RestOrigin, SessionRecord};
use caisse_lyra::form::{Abandonment, FormOutcome, PageAction, PaymentRequest, ThreeDsResult, ValidationMode};
use card::CardForm;
pub use expiry::{sweep_expired_sessions, sweep_once};
use minijinja::{Value, context};
use result::result_page;
use texts::{ENGLISH, texts};
use tokio::sync::OnceCell;

pub const SESSION_PREFIX: &str = "/vads-payment/session/";
/// A card form, or a PaRes and its MD: a few kilobytes at most.
const MAX_BODY_BYTES: usize = 16 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/vads-payment/session/{id}", get(show).post(submit))
        .route("/vads-payment/session/{id}/3ds", post(three_ds::returned))
        .route("/vads-payment/embedded/{form_token}", get(embedded::open))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

fn render(name: &str, values: Value) -> Html<String> {
    Html(crate::templates::render(name, values))
}

/// Whether the page can take this form's payment; the other page actions (tokens,
/// subscriptions) are not built yet.
pub fn takes(request: &PaymentRequest) -> bool {
    match request.page_action {
        // A verification: no amount, the currency the form gives or the euro.
        PageAction::Register => true,
        PageAction::Payment | PageAction::RegisterPay | PageAction::AskRegisterPay => {
            request.currency.is_some() && !request.amount.is_zero()
        }
        _ => false,
    }
}

/// The page for an accepted form the hosted page does not take (a page action other than a
/// payment): it says so; nothing is recorded but the form's `vads_trans_id`.
pub fn unsupported(request: &PaymentRequest) -> Html<String> {
    let t = texts(request);
    let amount = request.currency.map(|currency| result::amount_text(request.amount, currency));
    render(
        "hosted_page/unsupported.html",
        context! {
            lang => t.lang,
            t => t,
            shop => result::shop_label(request),
            amount => amount.unwrap_or_else(|| "none".to_owned()),
            mode => request.ctx_mode.as_str(),
            page_action => request.page_action.as_str(),
        },
    )
}

/// Opens the session of an accepted form and sends the browser to its page (303).
pub async fn open(state: &AppState, request: &PaymentRequest, pairs: Vec<(String, String)>) -> Response {
    let currency = request.currency.unwrap_or(Currency::EUR);
    match register::check_identifier(state, &request.site_id, request).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => {
            let page = caisse_lyra::form::render_error_page(&error, request.ctx_mode, request.language.as_deref());
            return Html(page).into_response();
        }
        Err(error) => {
            tracing::warn!(%error, "payment session: store unavailable");
            return unavailable();
        }
    }
    let recorded = SessionRecord { pairs, rest: None }.to_json();
    let payment = session_payment(request, currency);
    match state.payments.open_session(request.site_id.clone(), request.ctx_mode, payment, recorded).await {
        Ok(session) => Redirect::to(&format!("{SESSION_PREFIX}{}", session.id)).into_response(),
        Err(error) => {
            tracing::warn!(%error, "payment session not stored");
            unavailable()
        }
    }
}

/// `vads_capture_delay` (none: 0, at once) and `vads_validation_mode` (none: automatic); a Cpay
/// payment is captured at once whatever the form says.
fn session_payment(request: &PaymentRequest, currency: Currency) -> SessionPayment {
    let capture_day = caisse_lyra::form::cpay::capture_day(request);
    let capture_mode = match request.validation_mode {
        // The seed: "capture immédiate" (the transaction is remitted at once).
        _ if is_cpay(request) => CaptureMode::Immediate,
        Some(ValidationMode::Manual) => CaptureMode::Validation,
        _ => CaptureMode::AuthorCapture,
    };
    let order = OrderDetails { order_id: request.order.order_id.clone(), ..OrderDetails::default() };
    // REGISTER checks the card: a verification, whatever amount the form may carry.
    let amount = if request.page_action == PageAction::Register { Amount::ZERO } else { request.amount };
    SessionPayment { amount, currency, capture_mode, capture_day, order }
}

/// A session's page: where the buyer is, and the URLs built on caisse's public base URL.
struct Page<'a> {
    state: &'a AppState,
    session: PaymentSession,
    /// The Form API request (for a REST `formToken`, the one made from its request).
    request: PaymentRequest,
    /// Set when a REST `formToken` opened the session.
    rest: Option<RestOrigin>,
    base: String,
    /// The shop's form settings, read at most once per request (the IPN and the return both
    /// sign with them).
    settings: OnceCell<Option<FormSettings>>,
}

impl<'a> Page<'a> {
    fn new(
        state: &'a AppState,
        session: PaymentSession,
        (request, rest): (PaymentRequest, Option<RestOrigin>),
        base: String,
    ) -> Page<'a> {
        Page { state, session, request, rest, base, settings: OnceCell::new() }
    }

    /// The same page for the session as it is stored now.
    fn with_session(&self, session: PaymentSession) -> Page<'a> {
        Page {
            state: self.state,
            session,
            request: self.request.clone(),
            rest: self.rest.clone(),
            base: self.base.clone(),
            settings: self.settings.clone(),
        }
    }

    fn action(&self) -> String {
        format!("{}{SESSION_PREFIX}{}", self.base, self.session.id)
    }

    async fn form_settings(&self) -> Result<Option<&FormSettings>, StoreError> {
        let store = self.state.payments.store();
        let settings = self.settings.get_or_try_init(|| store.form_settings(&self.session.shop_id)).await?;
        Ok(settings.as_ref())
    }
}

/// The session and its recorded form, or the response that ends the request. An open session
/// past its expiry is abandoned on the way.
async fn page<'a>(state: &'a AppState, headers: &HeaderMap, id: &str) -> Result<Page<'a>, Response> {
    let session = match state.payments.session(id).await {
        Ok(Some(session)) => session,
        Ok(None) => return Err(unknown()),
        Err(error) => {
            tracing::warn!(%error, "payment session: store unavailable");
            return Err(unavailable());
        }
    };
    let Some(origin) = request_of(&session) else {
        return Err(corrupt(&session));
    };
    let base = public_base_url(state.public_url.as_deref(), headers);
    let mut page = Page::new(state, session, origin, base);
    expiry::settle(&mut page).await?;
    Ok(page)
}

async fn show(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    match page(&state, &headers, &id).await {
        Ok(page) => state_page(&page, None).await,
        Err(response) => response,
    }
}

async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<CardForm>,
) -> Response {
    let mut page = match page(&state, &headers, &id).await {
        Ok(page) => page,
        Err(response) => return response,
    };
    if form.action == "cancel" && page.session.status == SessionStatus::Open {
        let notifications = match ipn::abandonment(&page, Abandonment::BuyerCancelled).await {
            Ok(notifications) => notifications,
            Err(response) => return response,
        };
        return match state.payments.abandon_session(&id, notifications).await {
            Ok(session) => {
                page.session = session;
                let outcome = FormOutcome::abandoned(Abandonment::BuyerCancelled);
                result_page(&page, outcome).await.into_response()
            }
            Err(error) => session_failure(&page, error).await,
        };
    }
    let now = state.payments.clock().now();
    let open = page.session.status == SessionStatus::Open && !page.session.is_expired(now);
    if !open {
        // Paid, abandoned or expired meanwhile: the page as it stands.
        let note = texts(&page.request).already_finished;
        return (StatusCode::CONFLICT, state_page(&page, Some(note)).await).into_response();
    }
    // Cpay: the option (and its accepted conditions) before the card.
    let cpay_option = if is_cpay(&page.request) {
        let choice = cpay::chosen(&form.cpay_option, &form.cpay_accepted);
        match (form.action.as_str(), choice) {
            ("cpay_change", _) => {
                return cpay::options_page(&page, CpayOption::parse(&form.cpay_option), None).into_response();
            }
            ("cpay_option", Ok(option)) => return card::card_page(&page, None, Some(option)).into_response(),
            (_, Ok(option)) => Some(option),
            (_, Err(problem)) => {
                let chosen = CpayOption::parse(&form.cpay_option);
                let page = cpay::options_page(&page, chosen, Some(problem));
                return (StatusCode::UNPROCESSABLE_ENTITY, page).into_response();
            }
        }
    } else {
        None
    };
    let card = match card::card_input(&form, now.date_naive()) {
        Ok(card) => card,
        Err(problem) => {
            // Nothing is stored: the buyer corrects the card on the same page.
            let page = card::card_page(&page, Some(problem), cpay_option);
            return (StatusCode::UNPROCESSABLE_ENTITY, page).into_response();
        }
    };
    let ipn = match ipn::end_of_payment(&page).await {
        Ok(ipn) => ipn,
        Err(response) => return response,
    };
    // Paid at once: the directory server said the card is not enrolled.
    let not_enrolled = || ThreeDsResult::of(Enrolment::NotEnrolled, Some(Outcome::NotEnrolled));
    let posted =
        SessionCard { card, cpay_option, register: register::registration(&page, form.register_card == "yes") };
    let paid = state.payments.pay_session(&id, posted, move |tx| ipn(tx, not_enrolled())).await;
    match paid {
        Ok(SessionStep::Paid(authorised)) => {
            page.session.status = SessionStatus::Paid(authorised.transaction.id.clone());
            let outcome = FormOutcome::transaction(authorised.transaction, not_enrolled());
            result_page(&page, outcome).await.into_response()
        }
        Ok(SessionStep::Authenticate(enrollment)) => three_ds::to_acs(&page, &enrollment.pa_req).into_response(),
        Err(error) => session_failure(&page, error).await,
    }
}

async fn session_failure(page: &Page<'_>, error: SessionError) -> Response {
    match error {
        SessionError::Unknown => unknown(),
        // A second payment (or a cancel after payment): nothing new; the page as it stands.
        SessionError::Finished(session) => {
            let page = page.with_session(*session);
            let note = texts(&page.request).already_finished;
            (StatusCode::CONFLICT, state_page(&page, Some(note)).await).into_response()
        }
        SessionError::Expired(session) => {
            let mut page = page.with_session(*session);
            match expiry::settle(&mut page).await {
                Ok(()) => state_page(&page, None).await,
                Err(response) => response,
            }
        }
        SessionError::ThreeDs(error) => {
            tracing::warn!(%error, "hosted page: 3-D Secure result refused");
            error_page(StatusCode::BAD_REQUEST, texts(&page.request).bad_authentication)
        }
        SessionError::Payment(PaymentError::AcquirerUnavailable(code)) => {
            tracing::warn!(%code, "hosted page: acquirer unavailable");
            unavailable()
        }
        SessionError::Payment(error) => {
            tracing::warn!(%error, "hosted page payment failed");
            unavailable()
        }
    }
}

/// The page for a session as it stands: the card form while open, the way on while its
/// 3-D Secure step waits, else its result.
async fn state_page(page: &Page<'_>, note: Option<&'static str>) -> Response {
    let state = page.state;
    match &page.session.status {
        SessionStatus::Open if is_cpay(&page.request) => cpay::options_page(page, None, None).into_response(),
        SessionStatus::Open => card::card_page(page, None, None).into_response(),
        SessionStatus::Paid(id) => {
            let key = TransactionKey::Id(id.clone());
            let (transaction, step) = match (
                state.payments.transaction(&page.session.shop_id, &key).await,
                state.payments.session_authentication(&page.session).await,
            ) {
                (Ok(transaction), Ok(step)) => (transaction, step),
                (Err(error), _) => {
                    tracing::warn!(%error, "paid session without its transaction");
                    return unavailable();
                }
                (_, Err(error)) => {
                    tracing::warn!(%error, "payment session: store unavailable");
                    return unavailable();
                }
            };
            match step {
                Some(step) if transaction.status == core_three_ds::WAITING => {
                    three_ds::waiting_page(page, &step).into_response()
                }
                step => {
                    let three_ds = match step {
                        Some(step) => ThreeDsResult::of(step.authentication.enrolment, step.authentication.outcome),
                        None => ThreeDsResult::of(Enrolment::NotEnrolled, Some(Outcome::NotEnrolled)),
                    };
                    let outcome = FormOutcome::transaction(transaction, three_ds);
                    with_note(result_page(page, outcome).await, note)
                }
            }
        }
        SessionStatus::Abandoned => {
            let abandonment = if page.session.is_expired(state.payments.clock().now()) {
                Abandonment::SessionExpired
            } else {
                Abandonment::BuyerCancelled
            };
            with_note(result_page(page, FormOutcome::abandoned(abandonment)).await, note)
        }
    }
}

fn with_note(page: Html<String>, note: Option<&'static str>) -> Response {
    match note {
        // The note goes before the page's first heading: short, and no second template.
        Some(note) => {
            Html(page.0.replacen("<h1", &format!("<p role=\"alert\" id=\"note\">{note}</p>\n<h1"), 1)).into_response()
        }
        None => page.into_response(),
    }
}

fn request_of(session: &PaymentSession) -> Option<(PaymentRequest, Option<RestOrigin>)> {
    let record = SessionRecord::from_json(&session.request)?;
    Some((record.request(session.created_at)?, record.rest))
}

fn error_page(status: StatusCode, message: &str) -> Response {
    let page = render("hosted_page/error.html", context! { lang => "en", t => ENGLISH, message => message });
    (status, page).into_response()
}

fn unknown() -> Response {
    error_page(StatusCode::NOT_FOUND, ENGLISH.unknown)
}

fn corrupt(session: &PaymentSession) -> Response {
    tracing::warn!(session = %session.id, "payment session: stored form unreadable");
    unavailable()
}

fn unavailable() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "<!DOCTYPE html><html lang=\"en\"><title>503</title><p>Service temporarily unavailable.</p></html>",
    )
        .into_response()
}
