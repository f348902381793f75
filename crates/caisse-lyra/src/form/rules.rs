//! Rules across fields, once every field fits its format: the `vads_trans_date` window,
//! amounts and schedules, tokens and subscriptions, the cart, and Cpay's constraints.

use super::dictionary::{self, Family};
use super::error::FormError;
use super::post::FormPost;
use super::request::PaymentRequest;
use super::types::{ActionMode, CartLine, PageAction, PaymentConfig, ProductVat, ValidationMode, amount};
use caisse_core::{Amount, Currency};
use chrono::{DateTime, Duration, Months, Utc};

/// How far `vads_trans_date` may be from the platform's clock: 30 minutes in the past, 1 h 30
/// in the future (Lyra's "tolerated offset"; beyond it the form is refused with code 04).
pub const TRANS_DATE_MAX_AGE: Duration = Duration::minutes(30);
pub const TRANS_DATE_MAX_AHEAD: Duration = Duration::minutes(90);

/// Cpay (`AURORE-MULTI`): EUR and France only, automatic validation, immediate capture.
pub const CPAY_COUNTRY: &str = "FR";

fn error(name: &'static str) -> FormError {
    FormError::format(name, dictionary::spec(name).number)
}

/// Every broken rule (the caller reports the lowest-numbered one).
pub fn check(post: &FormPost, request: &PaymentRequest, now: DateTime<Utc>) -> Vec<FormError> {
    let mut errors = Vec::new();
    let date = request.trans_date;
    if date < now - TRANS_DATE_MAX_AGE || date > now + TRANS_DATE_MAX_AHEAD {
        errors.push(error("vads_trans_date"));
    }
    if request.action_mode == ActionMode::Silent {
        // Card data posted by the merchant is an option caisse's shops do not have.
        errors.push(error("vads_action_mode"));
    }
    if request.page_action.pays() && request.amount.is_zero() {
        errors.push(error("vads_amount"));
    }
    if !schedule_fits(&request.payment_config, request.amount, now) {
        errors.push(error("vads_payment_config"));
    }
    if request.page_action.uses_existing_token() && request.identifier.is_none() {
        errors.push(FormError::missing("vads_identifier", dictionary::spec("vads_identifier").number));
    }
    if let Some(subscription) = &request.subscription
        && subscription.effect_date < now.date_naive()
    {
        errors.push(error("vads_sub_effect_date"));
    }
    if request.is_cpay() {
        errors.extend(cpay_errors(post, request));
    }
    errors
}

/// MULTI: the first installment within the amount. MULTI_EXT: installments add up to the
/// amount, none in the past, the last within 12 months.
fn schedule_fits(config: &PaymentConfig, total: Amount, now: DateTime<Utc>) -> bool {
    match config {
        PaymentConfig::Single => true,
        PaymentConfig::Multi { first, .. } => *first <= total,
        PaymentConfig::MultiExt(schedule) => {
            let today = now.date_naive();
            let sum = schedule.iter().try_fold(Amount::ZERO, |sum, (_, part)| sum.checked_add(*part));
            let last_allowed = today.checked_add_months(Months::new(12));
            sum == Some(total)
                && schedule.first().is_some_and(|(first, _)| *first >= today)
                && schedule.last().zip(last_allowed).is_some_and(|((last, _), limit)| *last <= limit)
        }
    }
}

/// The seed's Cpay constraints. A capture delay other than 0 is not an error: the platform
/// ignores it (`settle` forces 0).
fn cpay_errors(post: &FormPost, request: &PaymentRequest) -> Vec<FormError> {
    let mut errors = Vec::new();
    if request.currency.is_some_and(|currency| currency != Currency::EUR) {
        errors.push(error("vads_currency"));
    }
    if request.validation_mode == Some(ValidationMode::Manual) {
        errors.push(error("vads_validation_mode"));
    }
    if request.payment_config != PaymentConfig::Single {
        errors.push(error("vads_payment_config"));
    }
    if request.page_action != PageAction::Payment {
        errors.push(error("vads_page_action"));
    }
    for country in ["vads_cust_country", "vads_ship_to_country"] {
        if post.value(country).is_some_and(|value| !value.eq_ignore_ascii_case(CPAY_COUNTRY)) {
            errors.push(error(country));
        }
    }
    errors
}

/// What the platform decides for the merchant: Cpay captures at once, validated automatically.
pub fn settle(mut request: PaymentRequest) -> PaymentRequest {
    if request.is_cpay() {
        request.capture_delay = Some(0);
        request.validation_mode = Some(ValidationMode::Automatic);
    }
    request
}

/// The cart: with `vads_nb_products` = N, lines 0 to N-1 each need a label, an amount, a type,
/// a reference and a quantity (≥ 1); VAT and barcode are optional. A cart field outside those
/// lines, or without `vads_nb_products`, is refused rather than silently dropped.
pub fn cart(post: &FormPost) -> Result<Vec<CartLine>, FormError> {
    let count = post.value("vads_nb_products").and_then(amount).map_or(0, Amount::minor_units);
    for (name, _) in post.fields().filter(|(_, value)| !value.is_empty()) {
        if let Some((spec, Some(index))) = dictionary::lookup(name)
            && spec.family == Family::Indexed
            && index as u64 >= count
        {
            return Err(FormError::format(name.to_owned(), spec.number));
        }
    }
    let mut lines = Vec::new();
    // Bounded by the lines actually posted: the first missing one stops the loop.
    for index in 0..count {
        let field = |base: &str| {
            let name = format!("{base}{index}");
            let number = dictionary::lookup(&name).map_or(0, |(spec, _)| spec.number);
            let value = post.value(&name).map(str::to_owned);
            (name, number, value)
        };
        let need = |base: &str| {
            let (name, number, value) = field(base);
            value.ok_or(FormError::missing(name, number))
        };
        let number_of = |base: &str, parse: fn(&str) -> Option<Amount>| {
            let (name, number, value) = field(base);
            let value = value.ok_or_else(|| FormError::missing(name.clone(), number))?;
            parse(&value).ok_or(FormError::format(name, number))
        };
        let label = need("vads_product_label")?;
        let unit_amount = number_of("vads_product_amount", amount)?;
        let product_type = need("vads_product_type")?;
        let reference = need("vads_product_ref")?;
        let quantity = number_of("vads_product_qty", |v| amount(v).filter(|q| !q.is_zero()))?.minor_units();
        let (vat_name, vat_number, vat) = field("vads_product_vat");
        let vat = match vat {
            None => None,
            Some(text) => Some(ProductVat::parse(&text).ok_or(FormError::format(vat_name, vat_number))?),
        };
        let ext_id = field("vads_product_ext_id").2;
        lines.push(CartLine { label, amount: unit_amount, product_type, reference, quantity, vat, ext_id });
    }
    Ok(lines)
}
