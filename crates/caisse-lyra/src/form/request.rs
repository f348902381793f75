//! A signed form, checked field by field and turned into a [`PaymentRequest`].
//!
//! Two passes, each reporting its lowest-numbered faulty field (the platform does not say in
//! which order it checks; the number order is stable and easy to test):
//! 1. every field alone: required ones present (by page action), every given value in its
//!    dictionary format, no value that looks like a card number (999);
//! 2. rules across fields (`rules`): the date window, amounts, the cart, Cpay.

use super::dictionary::{self, FIELDS, Family, Format, Presence};
use super::error::FormError;
use super::format::{conforms, datetime14, looks_like_pan};
use super::post::FormPost;
use super::rules;
use super::types::{ActionMode, CartLine, PageAction, PaymentConfig, ReturnMode, ValidationMode, amount, date8};
use caisse_core::{Amount, Currency, Mode, ShopId};
use chrono::{DateTime, NaiveDate, Utc};

/// Where and how the buyer goes back to the shop.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReturnSettings {
    pub url_return: Option<String>,
    pub url_success: Option<String>,
    pub url_refused: Option<String>,
    pub url_referral: Option<String>,
    pub url_cancel: Option<String>,
    pub url_error: Option<String>,
    /// Overrides the shop's notification URL for this payment's immediate IPN.
    pub url_check: Option<String>,
    pub return_mode: ReturnMode,
    pub redirect_success_timeout: Option<u16>,
    pub redirect_success_message: Option<String>,
    pub redirect_error_timeout: Option<u16>,
    pub redirect_error_message: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrderDetails {
    pub order_id: Option<String>,
    pub order_info: Option<String>,
    pub order_info2: Option<String>,
    pub order_info3: Option<String>,
}

/// The `vads_sub_*` fields of the subscription page actions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubscriptionRequest {
    pub subscription_id: Option<String>,
    pub amount: Amount,
    pub currency: Currency,
    /// The RRULE as sent.
    pub description: String,
    pub effect_date: NaiveDate,
    pub init_amount: Option<Amount>,
    pub init_amount_number: Option<u32>,
}

/// A checked payment form. Values the results echo are kept as sent in [`Self::echo`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentRequest {
    pub site_id: ShopId,
    pub ctx_mode: Mode,
    /// As sent (case kept); absent only for REGISTER and REGISTER_UPDATE.
    pub trans_id: Option<String>,
    pub trans_date: DateTime<Utc>,
    /// Zero when the page action takes no payment and none was given.
    pub amount: Amount,
    pub currency: Option<Currency>,
    pub action_mode: ActionMode,
    pub page_action: PageAction,
    pub payment_config: PaymentConfig,
    /// Days before capture; `None`: the shop's default. Cpay: always 0.
    pub capture_delay: Option<u16>,
    /// `None`: the shop's default. Cpay: always automatic.
    pub validation_mode: Option<ValidationMode>,
    /// Empty: every means the shop accepts.
    pub payment_cards: Vec<String>,
    pub language: Option<String>,
    pub returns: ReturnSettings,
    pub order: OrderDetails,
    /// `vads_nb_products` lines, in index order.
    pub cart: Vec<CartLine>,
    /// `vads_cust_*` fields in posted order, as sent (empty ones too).
    pub customer: Vec<(String, String)>,
    /// `vads_ship_to_*` fields in posted order, as sent (empty ones too).
    pub shipping: Vec<(String, String)>,
    /// Token to use, update or create (`vads_identifier`).
    pub identifier: Option<String>,
    /// `vads_threeds_mpi` 0–5.
    pub threeds_mpi: Option<u8>,
    pub subscription: Option<SubscriptionRequest>,
    pub contrib: Option<String>,
    pub payment_src: Option<String>,
    pub shop_name: Option<String>,
    pub shop_url: Option<String>,
    /// Every posted field that results carry back, in posted order, values exactly as sent.
    pub echo: Vec<(String, String)>,
}

impl PaymentRequest {
    /// Reads a form whose signature has been verified. `now` is the platform's clock (the
    /// `vads_trans_date` window).
    pub fn parse(post: &FormPost, now: DateTime<Utc>) -> Result<PaymentRequest, FormError> {
        let page_action = post.value("vads_page_action").and_then(PageAction::parse).unwrap_or(PageAction::Payment);
        if let Some(error) = field_errors(post, page_action).into_iter().min_by_key(|e| e.number) {
            return Err(error);
        }
        let mut request = build(post, page_action)?;
        let cart = rules::cart(post);
        let mut errors = rules::check(post, &request, now);
        errors.extend(cart.as_ref().err().cloned());
        match errors.into_iter().min_by_key(|e| e.number) {
            Some(error) => Err(error),
            None => {
                request.cart = cart?;
                Ok(rules::settle(request))
            }
        }
    }

    /// Whether the form offers Cpay (`vads_payment_cards` names `AURORE-MULTI`, alone or not):
    /// its constraints apply. The page's routing is `form::cpay::is_cpay`.
    pub fn is_cpay(&self) -> bool {
        self.payment_cards.iter().any(|card| card == dictionary::CPAY_CARD)
    }

    /// A customer or shipping field when given (`vads_cust_email`, `vads_ship_to_city`…).
    pub fn buyer_field(&self, name: &str) -> Option<&str> {
        self.customer
            .iter()
            .chain(&self.shipping)
            .find(|(posted, _)| posted == name)
            .map(|(_, value)| value.as_str())
            .filter(|value| !value.is_empty())
    }

    /// `vads_trans_date` as the results echo it.
    pub fn trans_date_text(&self) -> String {
        self.trans_date.format("%Y%m%d%H%M%S").to_string()
    }
}

fn required(presence: Presence, page_action: PageAction) -> bool {
    match presence {
        Presence::Required => true,
        Presence::Optional => false,
        Presence::RequiredToPay => page_action.needs_transaction(),
        Presence::RequiredToSubscribe => page_action.subscribes(),
    }
}

/// Formats a card number could hide in: free text, and names the dictionary does not know.
fn may_hide_a_card(format: Option<Format>) -> bool {
    matches!(format, None | Some(Format::Text { .. } | Format::Map { .. } | Format::OrderId | Format::AlphaNum { .. }))
}

/// Pass 1.
fn field_errors(post: &FormPost, page_action: PageAction) -> Vec<FormError> {
    let mut errors = Vec::new();
    for spec in FIELDS.iter().filter(|spec| spec.family == Family::Single) {
        if required(spec.presence, page_action) && post.value(spec.name).is_none() {
            errors.push(FormError::missing(spec.name, spec.number));
        }
    }
    for (name, value) in post.fields().filter(|(_, value)| !value.is_empty()) {
        let spec = dictionary::lookup(name).map(|(spec, _)| spec);
        if let Some(spec) = spec
            && !conforms(spec.format, value)
        {
            errors.push(FormError::format(name.to_owned(), spec.number));
        }
        if may_hide_a_card(spec.map(|spec| spec.format)) && looks_like_pan(value) {
            errors.push(FormError::sensitive_data(name.to_owned()));
        }
    }
    errors
}

/// Reads a given value whose format pass 1 has checked; a parser that still refuses it is a
/// format error, never a panic.
fn typed<T>(
    post: &FormPost,
    name: &'static str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<Option<T>, FormError> {
    match post.value(name) {
        None => Ok(None),
        Some(value) => parse(value).map(Some).ok_or_else(|| FormError::format(name, dictionary::spec(name).number)),
    }
}

fn text(post: &FormPost, name: &str) -> Option<String> {
    post.value(name).map(str::to_owned)
}

fn required_typed<T>(
    post: &FormPost,
    name: &'static str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T, FormError> {
    typed(post, name, parse)?.ok_or_else(|| FormError::missing(name, dictionary::spec(name).number))
}

fn build(post: &FormPost, page_action: PageAction) -> Result<PaymentRequest, FormError> {
    let (site_id, ctx_mode) = post.shop()?;
    let subscription = if page_action.subscribes() {
        Some(SubscriptionRequest {
            subscription_id: text(post, "vads_subscription"),
            amount: required_typed(post, "vads_sub_amount", amount)?,
            currency: required_typed(post, "vads_sub_currency", Currency::from_numeric_code)?,
            description: required_typed(post, "vads_sub_desc", |v| Some(v.to_owned()))?,
            effect_date: required_typed(post, "vads_sub_effect_date", date8)?,
            init_amount: typed(post, "vads_sub_init_amount", amount)?,
            init_amount_number: typed(post, "vads_sub_init_amount_number", |v| v.parse().ok())?,
        })
    } else {
        None
    };
    let with_prefix = |prefix: &str| -> Vec<(String, String)> {
        post.fields().filter(|(name, _)| name.starts_with(prefix)).map(|(n, v)| (n.to_owned(), v.to_owned())).collect()
    };
    let echo = post
        .fields()
        .filter(|(name, _)| dictionary::lookup(name).is_some_and(|(spec, _)| spec.echo))
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    Ok(PaymentRequest {
        site_id,
        ctx_mode,
        trans_id: text(post, "vads_trans_id"),
        trans_date: required_typed(post, "vads_trans_date", datetime14)?.and_utc(),
        amount: typed(post, "vads_amount", amount)?.unwrap_or(Amount::ZERO),
        currency: typed(post, "vads_currency", Currency::from_numeric_code)?,
        action_mode: required_typed(post, "vads_action_mode", ActionMode::parse)?,
        page_action,
        payment_config: typed(post, "vads_payment_config", PaymentConfig::parse)?.unwrap_or(PaymentConfig::Single),
        capture_delay: typed(post, "vads_capture_delay", |v| v.parse().ok())?,
        validation_mode: typed(post, "vads_validation_mode", ValidationMode::parse)?,
        payment_cards: post
            .value("vads_payment_cards")
            .map(|cards| cards.split(';').map(str::to_owned).collect())
            .unwrap_or_default(),
        language: text(post, "vads_language"),
        returns: ReturnSettings {
            url_return: text(post, "vads_url_return"),
            url_success: text(post, "vads_url_success"),
            url_refused: text(post, "vads_url_refused"),
            url_referral: text(post, "vads_url_referral"),
            url_cancel: text(post, "vads_url_cancel"),
            url_error: text(post, "vads_url_error"),
            url_check: text(post, "vads_url_check"),
            return_mode: typed(post, "vads_return_mode", ReturnMode::parse)?.unwrap_or_default(),
            redirect_success_timeout: typed(post, "vads_redirect_success_timeout", |v| v.parse().ok())?,
            redirect_success_message: text(post, "vads_redirect_success_message"),
            redirect_error_timeout: typed(post, "vads_redirect_error_timeout", |v| v.parse().ok())?,
            redirect_error_message: text(post, "vads_redirect_error_message"),
        },
        order: OrderDetails {
            order_id: text(post, "vads_order_id"),
            order_info: text(post, "vads_order_info"),
            order_info2: text(post, "vads_order_info2"),
            order_info3: text(post, "vads_order_info3"),
        },
        cart: Vec::new(),
        customer: with_prefix("vads_cust_"),
        shipping: with_prefix("vads_ship_to_"),
        identifier: text(post, "vads_identifier"),
        threeds_mpi: typed(post, "vads_threeds_mpi", |v| v.parse().ok())?,
        subscription,
        contrib: text(post, "vads_contrib"),
        payment_src: text(post, "vads_payment_src"),
        shop_name: text(post, "vads_shop_name"),
        shop_url: text(post, "vads_shop_url"),
        echo,
    })
}
