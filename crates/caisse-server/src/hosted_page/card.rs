//! The card form: what the buyer typed, checked before anything is stored.

use super::texts::texts;
use super::{Page, render};
use axum::response::Html;
use caisse_core::card::{CardExpiry, Pan};
use caisse_core::command::CardInput;
use caisse_core::cpay::CpayOption;
use caisse_lyra::form::PageAction;
use minijinja::context;
use serde::Deserialize;

#[derive(Deserialize)]
pub(super) struct CardForm {
    #[serde(default)]
    pub(super) action: String,
    #[serde(default)]
    card_number: String,
    #[serde(default)]
    expiry_month: String,
    #[serde(default)]
    expiry_year: String,
    #[serde(default)]
    cvv: String,
    /// Cpay: the option chosen on the first step, and whether its conditions were accepted.
    #[serde(default)]
    pub(super) cpay_option: String,
    #[serde(default)]
    pub(super) cpay_accepted: String,
    /// `ASK_REGISTER_PAY`: the buyer's "save my card" box.
    #[serde(default)]
    pub(super) register_card: String,
}

/// The card, or the form field that is wrong.
pub(super) fn card_input(form: &CardForm, today: chrono::NaiveDate) -> Result<CardInput, &'static str> {
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

/// The card form; for Cpay, with the option chosen on the first step.
pub(super) fn card_page(page: &Page<'_>, problem: Option<&str>, cpay: Option<CpayOption>) -> Html<String> {
    let (session, request) = (&page.session, &page.request);
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
            shop => super::result::shop_label(request),
            amount => super::result::amount_text(session.payment.amount, session.payment.currency),
            mode => session.mode.as_str(),
            error => error,
            action => page.action(),
            cpay => cpay.map(|option| super::cpay::chosen_view(page, option)),
            ask_register => request.page_action == PageAction::AskRegisterPay && page.rest.is_none(),
            registers => matches!(request.page_action, PageAction::Register | PageAction::RegisterPay) && page.rest.is_none(),
        },
    )
}
