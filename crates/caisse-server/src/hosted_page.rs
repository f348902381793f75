//! The Form API hosted payment page: an accepted form opens a session and the browser goes to
//! `/vads-payment/session/<id>`, a card form (no JavaScript needed). Its post pays the session
//! once (or cancels it) and answers the result page: the signed result fields and the way back
//! to the shop by `vads_return_mode`. The end-of-payment IPN is written with the payment.
//! The card number never comes back: only its masked form.

use crate::state::AppState;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use caisse_core::card::{CardExpiry, Pan};
use caisse_core::command::CardInput;
use caisse_core::notification::{Notification, NotificationRule};
use caisse_core::payment_session::{PaymentSession, SessionPayment, SessionStatus};
use caisse_core::payments::{PaymentError, SessionError};
use caisse_core::transaction::{CaptureMode, OrderDetails, Transaction, TransactionKey};
use caisse_core::{Amount, Currency};
use caisse_lyra::form::{
    Abandonment, FormOutcome, FormPost, PageAction, PaymentRequest, ResultPurpose, ReturnMode, ThreeDsResult,
    UrlCheckSrc, ValidationMode, algorithm_of, result_fields, sign_result,
};
use minijinja::{Environment, Value, context};
use serde::Deserialize;
use std::sync::OnceLock;

pub const SESSION_PREFIX: &str = "/vads-payment/session/";
/// A card form is a few hundred bytes.
const MAX_BODY_BYTES: usize = 8 * 1024;

const TEMPLATES: [(&str, &str); 4] = [
    ("hosted_page/layout.html", include_str!("../templates/hosted_page/layout.html")),
    ("hosted_page/card.html", include_str!("../templates/hosted_page/card.html")),
    ("hosted_page/result.html", include_str!("../templates/hosted_page/result.html")),
    ("hosted_page/error.html", include_str!("../templates/hosted_page/error.html")),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/vads-payment/session/{id}", get(show).post(submit))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

fn environment() -> &'static Environment<'static> {
    static ENVIRONMENT: OnceLock<Environment<'static>> = OnceLock::new();
    ENVIRONMENT.get_or_init(|| {
        let mut environment = Environment::new();
        for (name, source) in TEMPLATES {
            environment.add_template(name, source).expect("the hosted page templates parse");
        }
        environment
    })
}

fn render(name: &str, values: Value) -> Html<String> {
    Html(environment().get_template(name).and_then(|template| template.render(values)).expect("the templates render"))
}

/// The adapter's record of an accepted form: its pairs as posted. Parsed again with the
/// session's creation instant, the `vads_trans_date` window is the one that accepted it.
#[derive(serde::Serialize, Deserialize)]
struct Recorded {
    pairs: Vec<(String, String)>,
}

/// Whether the page can take this form's payment; the other page actions (tokens,
/// subscriptions) are not built yet.
pub fn takes(request: &PaymentRequest) -> bool {
    request.page_action == PageAction::Payment && request.currency.is_some() && !request.amount.is_zero()
}

/// Opens the session of an accepted form and sends the browser to its page (303).
pub async fn open(state: &AppState, request: &PaymentRequest, pairs: Vec<(String, String)>) -> Response {
    let Some(currency) = request.currency else {
        return unavailable();
    };
    let Ok(recorded) = serde_json::to_string(&Recorded { pairs }) else {
        return unavailable();
    };
    let payment = session_payment(request, currency);
    match state.payments.open_session(request.site_id.clone(), request.ctx_mode, payment, recorded).await {
        Ok(session) => Redirect::to(&format!("{SESSION_PREFIX}{}", session.id)).into_response(),
        Err(error) => {
            tracing::warn!(%error, "payment session not stored");
            unavailable()
        }
    }
}

/// `vads_capture_delay` (none: 0, at once) and `vads_validation_mode` (none: automatic).
fn session_payment(request: &PaymentRequest, currency: Currency) -> SessionPayment {
    let capture_day = request.capture_delay.unwrap_or(0).min(u16::from(CaptureMode::MAX_CAPTURE_DAY)) as u8;
    let capture_mode = match request.validation_mode {
        Some(ValidationMode::Manual) => CaptureMode::Validation,
        _ => CaptureMode::AuthorCapture,
    };
    let order = OrderDetails { order_id: request.order.order_id.clone(), ..OrderDetails::default() };
    SessionPayment { amount: request.amount, currency, capture_mode, capture_day, order }
}

async fn show(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match state.payments.session(&id).await {
        Ok(Some(session)) => match request_of(&session) {
            Some(request) => state_page(&state, &session, &request, None).await,
            None => corrupt(&session),
        },
        Ok(None) => unknown(),
        Err(error) => {
            tracing::warn!(%error, "payment session: store unavailable");
            unavailable()
        }
    }
}

#[derive(Deserialize)]
struct CardForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    card_number: String,
    #[serde(default)]
    expiry_month: String,
    #[serde(default)]
    expiry_year: String,
    #[serde(default)]
    cvv: String,
}

async fn submit(State(state): State<AppState>, Path(id): Path<String>, Form(form): Form<CardForm>) -> Response {
    let session = match state.payments.store().payment_session(&id).await {
        Ok(Some(session)) => session,
        Ok(None) => return unknown(),
        Err(error) => {
            tracing::warn!(%error, "payment session: store unavailable");
            return unavailable();
        }
    };
    let Some(request) = request_of(&session) else {
        return corrupt(&session);
    };
    if form.action == "cancel" {
        return match state.payments.abandon_session(&id).await {
            Ok(session) => result_page(&state, &session, &request, FormOutcome::abandoned(Abandonment::BuyerCancelled))
                .await
                .into_response(),
            Err(error) => session_failure(&state, &request, error).await,
        };
    }
    let today = state.payments.clock().now().date_naive();
    let card = match card_input(&form, today) {
        Ok(card) => card,
        Err(problem) => {
            // Nothing is stored: the buyer corrects the card on the same page.
            let page = if session.status == SessionStatus::Open && !session.is_expired(state.payments.clock().now()) {
                card_page(&session, &request, Some(problem))
            } else {
                return state_page(&state, &session, &request, None).await;
            };
            return (StatusCode::UNPROCESSABLE_ENTITY, page).into_response();
        }
    };
    let ipn = match ipn_maker(&state, &session, &request).await {
        Ok(ipn) => ipn,
        Err(response) => return response,
    };
    match state.payments.pay_session(&id, card, ipn).await {
        Ok(authorised) => {
            let session = PaymentSession { status: SessionStatus::Paid(authorised.transaction.id.clone()), ..session };
            let outcome = FormOutcome::transaction(authorised.transaction, ThreeDsResult::default());
            result_page(&state, &session, &request, outcome).await.into_response()
        }
        Err(error) => session_failure(&state, &request, error).await,
    }
}

async fn session_failure(state: &AppState, request: &PaymentRequest, error: SessionError) -> Response {
    match error {
        SessionError::Unknown => unknown(),
        // A second payment (or a cancel after payment): nothing new; the page as it stands.
        SessionError::Finished(session) => {
            let page = state_page(state, &session, request, Some(texts(request).already_finished)).await;
            (StatusCode::CONFLICT, page).into_response()
        }
        SessionError::Expired(session) => state_page(state, &session, request, None).await,
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

/// The page for a session as it stands: the card form while open, else its result.
async fn state_page(
    state: &AppState,
    session: &PaymentSession,
    request: &PaymentRequest,
    note: Option<&'static str>,
) -> Response {
    match &session.status {
        SessionStatus::Open => card_page(session, request, None).into_response(),
        SessionStatus::Paid(id) => {
            let key = TransactionKey::Id(id.clone());
            match state.payments.transaction(&session.shop_id, &key).await {
                Ok(transaction) => {
                    let outcome = FormOutcome::transaction(transaction, ThreeDsResult::default());
                    with_note(result_page(state, session, request, outcome).await, note)
                }
                Err(error) => {
                    tracing::warn!(%error, "paid session without its transaction");
                    unavailable()
                }
            }
        }
        SessionStatus::Abandoned => {
            let abandonment = if session.is_expired(state.payments.clock().now()) {
                Abandonment::SessionExpired
            } else {
                Abandonment::BuyerCancelled
            };
            with_note(result_page(state, session, request, FormOutcome::abandoned(abandonment)).await, note)
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

fn request_of(session: &PaymentSession) -> Option<PaymentRequest> {
    let recorded: Recorded = serde_json::from_str(&session.request).ok()?;
    PaymentRequest::parse(&FormPost::from_pairs(recorded.pairs), session.created_at).ok()
}

fn card_input(form: &CardForm, today: chrono::NaiveDate) -> Result<CardInput, &'static str> {
    let digits: String = form.card_number.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let pan = Pan::parse(&digits).map_err(|_| "card_number")?;
    if !caisse_acquirer::is_luhn_exempt(&pan) && !pan.passes_luhn() {
        return Err("card_number");
    }
    let month: u8 = form.expiry_month.trim().parse().map_err(|_| "expiry")?;
    let year: u16 = form.expiry_year.trim().parse().map_err(|_| "expiry")?;
    let year = if year < 100 { 2000 + year } else { year };
    let expiry = CardExpiry::new(year, month).ok_or("expiry")?;
    if expiry.is_expired_at(today) {
        return Err("expiry");
    }
    let cvv = form.cvv.trim();
    if !cvv.is_empty() && (!(3..=4).contains(&cvv.len()) || !cvv.bytes().all(|b| b.is_ascii_digit())) {
        return Err("cvv");
    }
    Ok(CardInput { pan, expiry, csc: (!cvv.is_empty()).then(|| cvv.to_owned()), brand_choice: None })
}

type IpnMaker = Box<dyn FnOnce(&Transaction) -> Vec<Notification> + Send>;

/// What the payment owes the shop: the end-of-payment IPN when its rule is on, signed with
/// the shop's key for the mode. Read before paying, so the notification goes in the payment's
/// database transaction.
async fn ipn_maker(state: &AppState, session: &PaymentSession, request: &PaymentRequest) -> Result<IpnMaker, Response> {
    let store = state.payments.store();
    let (rules, settings) =
        match (store.notification_rules(&session.shop_id).await, store.form_settings(&session.shop_id).await) {
            (Ok(rules), Ok(settings)) => (rules, settings),
            (Err(error), _) | (_, Err(error)) => {
                tracing::warn!(%error, "hosted page: store unavailable");
                return Err(unavailable());
            }
        };
    let target = rules.and_then(|rules| {
        rules.target(NotificationRule::EndOfPayment, session.mode, request.returns.url_check.as_deref())
    });
    let signing = settings
        .and_then(|settings| settings.key(session.mode).map(|key| (algorithm_of(settings.algorithm), key.to_owned())));
    let (Some(url), Some((algorithm, key))) = (target, signing) else {
        return Ok(Box::new(|_| Vec::new()));
    };
    let request = request.clone();
    let (shop, mode, now) = (session.shop_id.clone(), session.mode, state.payments.clock().now());
    Ok(Box::new(move |transaction: &Transaction| {
        let outcome = FormOutcome::transaction(transaction.clone(), ThreeDsResult::default());
        let body =
            sign_result(result_fields(&request, &outcome, ResultPurpose::Ipn(UrlCheckSrc::Pay)), algorithm, &key);
        vec![
            Notification::new(shop, mode, NotificationRule::EndOfPayment, url, body, now)
                .with_transaction(transaction.id.clone(), request.trans_id.clone()),
        ]
    }))
}

fn card_page(session: &PaymentSession, request: &PaymentRequest, problem: Option<&str>) -> Html<String> {
    let t = texts(request);
    let error = problem.map(|field| match field {
        "card_number" => t.bad_number,
        "expiry" => t.bad_expiry,
        _ => t.bad_cvv,
    });
    render(
        "hosted_page/card.html",
        context! {
            lang => t.lang,
            t => t,
            shop => shop_label(request),
            amount => amount_text(session.payment.amount, session.payment.currency),
            mode => session.mode.as_str(),
            error => error,
            action => format!("{SESSION_PREFIX}{}", session.id),
        },
    )
}

/// The result page: what happened, and the way back with the signed result fields.
async fn result_page(
    state: &AppState,
    session: &PaymentSession,
    request: &PaymentRequest,
    outcome: FormOutcome,
) -> Html<String> {
    let t = texts(request);
    let fields = match state.payments.store().form_settings(&session.shop_id).await {
        Ok(Some(settings)) => settings.key(session.mode).map(|key| {
            sign_result(result_fields(request, &outcome, ResultPurpose::Return), algorithm_of(settings.algorithm), key)
        }),
        Ok(None) => None,
        Err(error) => {
            tracing::warn!(%error, "hosted page: form settings unavailable");
            None
        }
    };
    let result = fields
        .as_ref()
        .and_then(|fields| fields.iter().find(|(name, _)| name == "vads_result"))
        .map(|(_, value)| value.clone())
        .unwrap_or_default();
    let returns = &request.returns;
    let (heading, url, card) = match &outcome.decision {
        caisse_lyra::form::Decision::Transaction(transaction) => {
            let card = transaction.card.as_ref().map(|card| card.masked_pan.clone());
            if transaction.authorisation.acquirer_response_code == "00" {
                (t.accepted, returns.url_success.as_ref().or(returns.url_return.as_ref()), card)
            } else {
                (t.refused, returns.url_refused.as_ref().or(returns.url_return.as_ref()), card)
            }
        }
        caisse_lyra::form::Decision::Abandoned(Abandonment::BuyerCancelled) => {
            (t.cancelled, returns.url_cancel.as_ref().or(returns.url_return.as_ref()), None)
        }
        caisse_lyra::form::Decision::Abandoned(Abandonment::SessionExpired) => {
            (t.expired, returns.url_cancel.as_ref().or(returns.url_return.as_ref()), None)
        }
    };
    let (return_mode, return_url) = match (returns.return_mode, url, &fields) {
        (_, None, _) => ("NONE", None),
        (ReturnMode::Get, Some(url), Some(fields)) => ("GET", Some(with_query(url, fields))),
        (ReturnMode::Post, Some(url), Some(_)) => ("POST", Some(url.clone())),
        // NONE (or no key to sign with): back to the shop, without the fields.
        (_, Some(url), _) => ("NONE", Some(url.clone())),
    };
    render(
        "hosted_page/result.html",
        context! {
            lang => t.lang,
            t => t,
            heading => heading,
            result => result,
            shop => shop_label(request),
            amount => amount_text(session.payment.amount, session.payment.currency),
            card => card,
            note => Option::<&str>::None,
            return_mode => return_mode,
            return_url => return_url,
            fields => fields.unwrap_or_default(),
        },
    )
}

fn with_query(url: &str, fields: &[(String, String)]) -> String {
    let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{query}")
}

fn shop_label(request: &PaymentRequest) -> String {
    request.shop_name.clone().unwrap_or_else(|| request.site_id.as_str().to_owned())
}

fn amount_text(amount: Amount, currency: Currency) -> String {
    let exponent = u32::from(currency.exponent());
    let units = amount.minor_units();
    let number = if exponent == 0 {
        units.to_string()
    } else {
        let scale = 10u64.pow(exponent);
        format!("{}.{:0width$}", units / scale, units % scale, width = exponent as usize)
    };
    format!("{number} {}", currency.alpha_code())
}

/// The page's words, French when `vads_language` is `fr`, else English.
#[derive(serde::Serialize, Clone, Copy)]
struct Texts {
    lang: &'static str,
    title: &'static str,
    shop: &'static str,
    amount: &'static str,
    test_mode: &'static str,
    card_number: &'static str,
    expiry: &'static str,
    month: &'static str,
    year: &'static str,
    cvv: &'static str,
    pay: &'static str,
    cancel: &'static str,
    back: &'static str,
    accepted: &'static str,
    refused: &'static str,
    cancelled: &'static str,
    expired: &'static str,
    bad_number: &'static str,
    bad_expiry: &'static str,
    bad_cvv: &'static str,
    already_finished: &'static str,
    unknown: &'static str,
}

const ENGLISH: Texts = Texts {
    lang: "en",
    title: "Payment page",
    shop: "Shop",
    amount: "Amount",
    test_mode: "Test mode: no real payment is made.",
    card_number: "Card number",
    expiry: "Expiry date",
    month: "Month (MM)",
    year: "Year (YYYY)",
    cvv: "Security code (CVV)",
    pay: "Pay",
    cancel: "Cancel and return to the shop",
    back: "Return to the shop",
    accepted: "Payment accepted",
    refused: "Payment refused",
    cancelled: "Payment cancelled",
    expired: "Payment session expired",
    bad_number: "The card number is not valid.",
    bad_expiry: "The expiry date is not valid or has passed.",
    bad_cvv: "The security code must have 3 or 4 digits.",
    already_finished: "This payment is already finished.",
    unknown: "This payment page does not exist or is no longer available.",
};

const FRENCH: Texts = Texts {
    lang: "fr",
    title: "Page de paiement",
    shop: "Boutique",
    amount: "Montant",
    test_mode: "Mode test : aucun paiement réel n'est effectué.",
    card_number: "Numéro de carte",
    expiry: "Date d'expiration",
    month: "Mois (MM)",
    year: "Année (AAAA)",
    cvv: "Cryptogramme visuel (CVV)",
    pay: "Payer",
    cancel: "Annuler et retourner à la boutique",
    back: "Retourner à la boutique",
    accepted: "Paiement accepté",
    refused: "Paiement refusé",
    cancelled: "Paiement annulé",
    expired: "Session de paiement expirée",
    bad_number: "Le numéro de carte n'est pas valide.",
    bad_expiry: "La date d'expiration n'est pas valide ou est dépassée.",
    bad_cvv: "Le cryptogramme doit avoir 3 ou 4 chiffres.",
    already_finished: "Ce paiement est déjà terminé.",
    unknown: "Cette page de paiement n'existe pas ou n'est plus disponible.",
};

fn texts(request: &PaymentRequest) -> Texts {
    match request.language.as_deref() {
        Some(language) if language.eq_ignore_ascii_case("fr") => FRENCH,
        _ => ENGLISH,
    }
}

fn unknown() -> Response {
    let page = render("hosted_page/error.html", context! { lang => "en", t => ENGLISH, message => ENGLISH.unknown });
    (StatusCode::NOT_FOUND, page).into_response()
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
