//! Typed readers of request fields. Each fails with the field's own INT code and
//! `Invalid input value [name=<path>, value=<raw>]`; a missing required field reads as
//! `value=null` (research §4.2). Unknown keys are tolerated: clients send extra ones (§8.4).

use crate::error::{ErrorCode, WsError};
use caisse_core::card::{CardExpiry, Pan};
use caisse_core::{Amount, CaptureMode, Currency};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value};

pub type FieldResult<T> = Result<T, WsError>;

/// `orderId`, `subscriptionId`: at most 64 characters (research §2).
pub const ID_CHARS_MAX: usize = 64;
/// `comment`, `description`, `rrule`: at most 255.
pub const TEXT_CHARS_MAX: usize = 255;
/// `Charge/SDKTest` `value`.
pub const SDK_TEST_VALUE_CHARS_MAX: usize = 127;
/// `captureDelay`: the platform allows 0…365, the core's capture day stops at 99.
pub const CAPTURE_DELAY_MAX: u64 = CaptureMode::MAX_CAPTURE_DAY as u64;
/// `initialAmountNumber`: 0…999.
pub const INITIAL_AMOUNT_NUMBER_MAX: u64 = 999;
/// `customer.email`: RFC 5321's path limit is far above what a merchant sends; 150 as Lyra.
pub const EMAIL_CHARS_MAX: usize = 150;
/// `initialIssuerTransactionIdentifier`.
pub const CHAINING_REFERENCE_CHARS_MAX: usize = 64;

/// The request object and its path (`transactionOptions.cardOptions`) for error messages.
#[derive(Clone)]
pub struct Fields<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

/// How a value shows in `detailedErrorMessage`: strings as they are, the rest as JSON text.
pub fn raw(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "null".into(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

fn is_hex32(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

impl<'a> Fields<'a> {
    pub fn new(map: &'a Map<String, Value>) -> Fields<'a> {
        Fields { map, path: String::new() }
    }

    pub fn map(&self) -> &'a Map<String, Value> {
        self.map
    }

    /// `parent.name`, for error messages.
    pub fn name(&self, name: &str) -> String {
        if self.path.is_empty() { name.to_owned() } else { format!("{}.{name}", self.path) }
    }

    /// A value that is present and not `null`.
    pub fn given(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name).filter(|value| !value.is_null())
    }

    fn invalid(&self, code: ErrorCode, name: &str) -> WsError {
        WsError::invalid(code, &self.name(name), &raw(self.map.get(name)))
    }

    /// A nested object (`transactionOptions`), read with the same readers; `None` when absent.
    pub fn object(&self, name: &str, code: ErrorCode) -> FieldResult<Option<Fields<'a>>> {
        match self.given(name) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Fields { map, path: self.name(name) })),
            Some(_) => Err(self.invalid(code, name)),
        }
    }

    /// An optional string of at most `max` characters.
    pub fn text(&self, name: &str, max: usize, code: ErrorCode) -> FieldResult<Option<&'a str>> {
        match self.given(name) {
            None => Ok(None),
            Some(Value::String(text)) if text.chars().count() <= max => Ok(Some(text.as_str())),
            Some(_) => Err(self.invalid(code, name)),
        }
    }

    pub fn required_text(&self, name: &str, max: usize, code: ErrorCode) -> FieldResult<&'a str> {
        match self.text(name, max, code)? {
            Some(text) if !text.is_empty() => Ok(text),
            _ => Err(self.invalid(code, name)),
        }
    }

    /// An amount in minor units: a JSON integer (or a string of digits, which the platform's
    /// JSON reader also takes), 0 … 999 999 999 999.
    pub fn amount(&self, name: &str, code: ErrorCode) -> FieldResult<Option<Amount>> {
        let value = match self.given(name) {
            None => return Ok(None),
            Some(Value::Number(number)) => number.as_u64(),
            Some(Value::String(text)) if (1..=12).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()) => {
                text.parse().ok()
            }
            Some(_) => None,
        };
        match value {
            Some(minor) if minor <= Amount::MAX.minor_units() => Ok(Some(Amount(minor))),
            _ => Err(self.invalid(code, name)),
        }
    }

    pub fn required_amount(&self, name: &str, code: ErrorCode) -> FieldResult<Amount> {
        self.amount(name, code)?.ok_or_else(|| self.invalid(code, name))
    }

    /// An amount that must be above zero (payments, refunds).
    pub fn positive_amount(&self, name: &str, code: ErrorCode) -> FieldResult<Option<Amount>> {
        match self.amount(name, code)? {
            Some(amount) if amount.is_zero() => Err(self.invalid(code, name)),
            other => Ok(other),
        }
    }

    /// A small count (`initialAmountNumber`, `captureDelay`).
    pub fn count(&self, name: &str, max: u64, code: ErrorCode) -> FieldResult<Option<u64>> {
        let value = match self.given(name) {
            None => return Ok(None),
            Some(Value::Number(number)) => number.as_u64(),
            Some(Value::String(text)) if (1..=3).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()) => {
                text.parse().ok()
            }
            Some(_) => None,
        };
        match value {
            Some(count) if count <= max => Ok(Some(count)),
            _ => Err(self.invalid(code, name)),
        }
    }

    /// ISO 4217 alphabetic code, upper case (`EUR`).
    pub fn currency(&self, name: &str) -> FieldResult<Option<Currency>> {
        match self.given(name) {
            None => Ok(None),
            Some(Value::String(code)) if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) => {
                Currency::from_alpha_code(code).map(Some).ok_or_else(|| self.invalid(ErrorCode::Int010, name))
            }
            Some(_) => Err(self.invalid(ErrorCode::Int010, name)),
        }
    }

    pub fn required_currency(&self, name: &str) -> FieldResult<Currency> {
        self.currency(name)?.ok_or_else(|| self.invalid(ErrorCode::Int010, name))
    }

    /// `orderId`: at most 64 printable ASCII characters ("does not support UTF-8").
    pub fn order_id(&self) -> FieldResult<Option<String>> {
        const NAME: &str = "orderId";
        match self.given(NAME) {
            None => Ok(None),
            Some(Value::String(id))
                if !id.is_empty()
                    && id.len() <= ID_CHARS_MAX
                    && id.bytes().all(|b| b.is_ascii_graphic() || b == b' ') =>
            {
                Ok(Some(id.clone()))
            }
            Some(_) => Err(self.invalid(ErrorCode::Int013, NAME)),
        }
    }

    /// A transaction `uuid`: 32 hex digits (no INT code of its own: INT_902, research §4.2).
    pub fn uuid(&self, name: &str) -> FieldResult<String> {
        match self.given(name) {
            Some(Value::String(uuid)) if is_hex32(uuid) => Ok(uuid.to_ascii_lowercase()),
            _ => Err(self.invalid(ErrorCode::Int902, name)),
        }
    }

    /// `paymentMethodToken`: 32 hex digits.
    pub fn token(&self, name: &str) -> FieldResult<Option<String>> {
        match self.given(name) {
            None => Ok(None),
            Some(Value::String(token)) if is_hex32(token) => Ok(Some(token.to_ascii_lowercase())),
            Some(_) => Err(self.invalid(ErrorCode::Int030, name)),
        }
    }

    pub fn required_token(&self, name: &str) -> FieldResult<String> {
        self.token(name)?.ok_or_else(|| self.invalid(ErrorCode::Int030, name))
    }

    /// One of `allowed`, exactly as spelled.
    pub fn one_of(&self, name: &str, allowed: &[&'static str], code: ErrorCode) -> FieldResult<Option<&'static str>> {
        match self.given(name) {
            None => Ok(None),
            Some(Value::String(text)) => allowed
                .iter()
                .find(|candidate| **candidate == text)
                .copied()
                .map(Some)
                .ok_or_else(|| self.invalid(code, name)),
            Some(_) => Err(self.invalid(code, name)),
        }
    }

    /// A flat JSON object the merchant gets back (`metadata`).
    pub fn echoed_object(&self, name: &str, code: ErrorCode) -> FieldResult<Option<Map<String, Value>>> {
        match self.given(name) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(map.clone())),
            Some(_) => Err(self.invalid(code, name)),
        }
    }

    /// An ISO 8601 date and time with an offset (`2026-12-01T00:00:00+00:00`), or a bare date.
    pub fn date_time(&self, name: &str, code: ErrorCode) -> FieldResult<Option<DateTime<Utc>>> {
        match self.given(name) {
            None => Ok(None),
            Some(Value::String(text)) => parse_date_time(text).map(Some).ok_or_else(|| self.invalid(code, name)),
            Some(_) => Err(self.invalid(code, name)),
        }
    }

    pub fn required_date_time(&self, name: &str, code: ErrorCode) -> FieldResult<DateTime<Utc>> {
        self.date_time(name, code)?.ok_or_else(|| self.invalid(code, name))
    }

    /// `customer`: an object whose `email`, when given, looks like one.
    pub fn customer(&self) -> FieldResult<Map<String, Value>> {
        const NAME: &str = "customer";
        let customer = match self.given(NAME) {
            None => return Ok(Map::new()),
            Some(Value::Object(customer)) => customer,
            Some(_) => return Err(self.invalid(ErrorCode::Int001, NAME)),
        };
        match customer.get("email") {
            None | Some(Value::Null) => {}
            Some(Value::String(email)) if is_email(email) => {}
            Some(other) => {
                return Err(WsError::invalid(ErrorCode::Int015, &self.name("customer.email"), &raw(Some(other))));
            }
        }
        Ok(customer.clone())
    }
}

/// Loose on purpose: one `@` between two non-empty parts, no spaces.
pub fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    text.chars().count() <= EMAIL_CHARS_MAX
        && !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && !text.chars().any(char::is_whitespace)
}

pub fn parse_date_time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    // `2026-12-01T00:00:00Z` is RFC 3339 already; also take `+0000` and a bare date.
    if let Ok(at) = DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%z") {
        return Some(at.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().map(|day| day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
}

/// The card of a PCI `paymentForms[0]`, typed.
pub struct PaymentFormCard {
    pub pan: Pan,
    pub expiry: CardExpiry,
    pub security_code: Option<String>,
}

/// `paymentForms`: absent, or an array of one card (PROTOCOLS.md §4).
pub fn payment_form_card(fields: &Fields<'_>) -> FieldResult<Option<PaymentFormCard>> {
    const NAME: &str = "paymentForms";
    let form = match fields.given(NAME) {
        None => return Ok(None),
        Some(Value::Array(items)) if items.is_empty() => return Ok(None),
        Some(Value::Array(items)) if items.len() == 1 => match &items[0] {
            Value::Object(form) => form,
            other => return Err(WsError::invalid(ErrorCode::Int902, "paymentForms[0]", &raw(Some(other)))),
        },
        Some(other) => return Err(WsError::invalid(ErrorCode::Int902, NAME, &raw(Some(other)))),
    };
    let form = Fields { map: form, path: "paymentForms[0]".into() };
    match form.given("paymentMethodType") {
        None => return Err(form.invalid(ErrorCode::Int874, "paymentMethodType")),
        Some(Value::String(kind)) if kind == "CARD" => {}
        Some(_) => return Err(form.invalid(ErrorCode::Int892, "paymentMethodType")),
    }
    let pan = match form.given("pan") {
        Some(Value::String(digits)) => Pan::parse(digits).ok(),
        _ => None,
    }
    .ok_or_else(|| WsError::invalid(ErrorCode::Int040, &form.name("pan"), "****"))?;
    let month = match form.given("expiryMonth") {
        Some(Value::String(text)) if (1..=2).contains(&text.len()) => text.parse::<u8>().ok(),
        Some(Value::Number(number)) => number.as_u64().and_then(|month| u8::try_from(month).ok()),
        _ => None,
    }
    .filter(|month| (1..=12).contains(month))
    .ok_or_else(|| form.invalid(ErrorCode::Int041, "expiryMonth"))?;
    let year = match form.given("expiryYear") {
        Some(Value::String(text)) if matches!(text.len(), 2 | 4) && text.bytes().all(|b| b.is_ascii_digit()) => {
            text.parse::<u16>().ok().map(|year| if year < 100 { 2000 + year } else { year })
        }
        Some(Value::Number(number)) => number
            .as_u64()
            .and_then(|year| u16::try_from(year).ok())
            .map(|year| if year < 100 { 2000 + year } else { year }),
        _ => None,
    }
    .filter(|year| (2000..=2099).contains(year))
    .ok_or_else(|| form.invalid(ErrorCode::Int042, "expiryYear"))?;
    let expiry = CardExpiry::new(year, month).ok_or_else(|| form.invalid(ErrorCode::Int041, "expiryMonth"))?;
    let security_code = match form.given("securityCode") {
        None => None,
        Some(Value::String(code)) if (3..=4).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit()) => {
            Some(code.clone())
        }
        // Never echo what was typed in a card field.
        Some(_) => return Err(WsError::invalid(ErrorCode::Int043, &form.name("securityCode"), "***")),
    };
    Ok(Some(PaymentFormCard { pan, expiry, security_code }))
}

/// `transactionOptions.cardOptions` as far as caisse uses them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CardOptions {
    pub capture_delay: Option<u8>,
    pub manual_validation: Option<bool>,
    pub initial_issuer_transaction_identifier: Option<String>,
}

impl CardOptions {
    /// The capture mode and day a payment gets: manual validation waits for Validate at most
    /// `captureDelay` days; otherwise the batch captures it `captureDelay` days later.
    pub fn capture(&self) -> (CaptureMode, u8) {
        let mode =
            if self.manual_validation == Some(true) { CaptureMode::Validation } else { CaptureMode::AuthorCapture };
        (mode, self.capture_delay.unwrap_or(0))
    }
}

const PAYMENT_SOURCES: [&str; 4] = ["EC", "MOTO", "CC", "OTHER"];
const YES_NO: [&str; 2] = ["YES", "NO"];

/// Reads `cardOptions` (or `cardDuplicate`).
pub fn card_options(options: Option<&Fields<'_>>) -> FieldResult<CardOptions> {
    let Some(options) = options else {
        return Ok(CardOptions::default());
    };
    options.one_of("paymentSource", &PAYMENT_SOURCES, ErrorCode::Int060)?;
    let capture_delay = options.count("captureDelay", CAPTURE_DELAY_MAX, ErrorCode::Int860)?;
    let manual_validation = options.one_of("manualValidation", &YES_NO, ErrorCode::Int005)?.map(|text| text == "YES");
    let initial_issuer_transaction_identifier = options
        .text("initialIssuerTransactionIdentifier", CHAINING_REFERENCE_CHARS_MAX, ErrorCode::Int902)?
        .filter(|text| !text.is_empty())
        .map(str::to_owned);
    Ok(CardOptions {
        capture_delay: capture_delay.map(|days| u8::try_from(days).unwrap_or(CaptureMode::MAX_CAPTURE_DAY)),
        manual_validation,
        initial_issuer_transaction_identifier,
    })
}

/// `transactionOptions.cardOptions` of a request.
pub fn transaction_card_options(fields: &Fields<'_>) -> FieldResult<CardOptions> {
    let Some(transaction_options) = fields.object("transactionOptions", ErrorCode::Int902)? else {
        return Ok(CardOptions::default());
    };
    let options = transaction_options.object("cardOptions", ErrorCode::Int902)?;
    card_options(options.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn with<T>(value: Value, read: impl FnOnce(&Fields<'_>) -> T) -> T {
        let map = value.as_object().unwrap().clone();
        read(&Fields::new(&map))
    }

    fn detail(error: WsError) -> (ErrorCode, String) {
        (error.code, error.detailed_message.unwrap_or_default())
    }

    #[test]
    fn amounts() {
        assert_eq!(with(json!({"amount": 990}), |f| f.required_amount("amount", ErrorCode::Int009)), Ok(Amount(990)));
        assert_eq!(with(json!({"amount": "990"}), |f| f.required_amount("amount", ErrorCode::Int009)), Ok(Amount(990)));
        for (bad, shown) in [
            (json!(-1), "-1"),
            (json!(9.5), "9.5"),
            (json!(1_000_000_000_000u64), "1000000000000"),
            (json!(null), "null"),
            (json!("12a"), "12a"),
            (json!(true), "true"),
        ] {
            let error = with(json!({ "amount": bad }), |f| f.required_amount("amount", ErrorCode::Int009)).unwrap_err();
            assert_eq!(detail(error), (ErrorCode::Int009, format!("Invalid input value [name=amount, value={shown}]")));
        }
        let missing = with(json!({}), |f| f.required_amount("amount", ErrorCode::Int009)).unwrap_err();
        assert_eq!(detail(missing).1, "Invalid input value [name=amount, value=null]");
        assert!(with(json!({"amount": 0}), |f| f.positive_amount("amount", ErrorCode::Int009)).is_err());
    }

    #[test]
    fn currencies_ids_and_tokens() {
        assert_eq!(with(json!({"currency": "EUR"}), |f| f.required_currency("currency")), Ok(Currency::EUR));
        let error = with(json!({"currency": "TTT"}), |f| f.required_currency("currency")).unwrap_err();
        assert_eq!(detail(error), (ErrorCode::Int010, "Invalid input value [name=currency, value=TTT]".into()));
        assert!(with(json!({"currency": "eur"}), |f| f.required_currency("currency")).is_err());
        assert_eq!(with(json!({"orderId": "x".repeat(65)}), |f| f.order_id()).unwrap_err().code, ErrorCode::Int013);
        assert_eq!(with(json!({"orderId": "é"}), |f| f.order_id()).unwrap_err().code, ErrorCode::Int013);
        assert_eq!(with(json!({"orderId": "ORD-1"}), |f| f.order_id()), Ok(Some("ORD-1".into())));
        let token = "B6E51BA31F934AC5B25CCAD2A52CCD56";
        assert_eq!(
            with(json!({ "paymentMethodToken": token }), |f| f.token("paymentMethodToken")),
            Ok(Some(token.to_ascii_lowercase()))
        );
        for bad in [json!("abc"), json!(12), json!("g6e51ba31f934ac5b25ccad2a52ccd56")] {
            let error = with(json!({ "paymentMethodToken": bad }), |f| f.token("paymentMethodToken")).unwrap_err();
            assert_eq!(error.code, ErrorCode::Int030);
        }
        assert_eq!(with(json!({}), |f| f.uuid("uuid")).unwrap_err().code, ErrorCode::Int902);
    }

    #[test]
    fn card_form() {
        let card = with(
            json!({"paymentForms": [{"paymentMethodType": "CARD", "pan": "4970100000000000",
                   "expiryMonth": "11", "expiryYear": "30", "securityCode": "123"}]}),
            payment_form_card,
        )
        .unwrap()
        .unwrap();
        assert_eq!(card.expiry, CardExpiry { year: 2030, month: 11 });
        assert_eq!(card.security_code.as_deref(), Some("123"));
        let four_digit_year = with(
            json!({"paymentForms": [{"paymentMethodType": "CARD", "pan": "4970100000000000",
                   "expiryMonth": "01", "expiryYear": "2031"}]}),
            payment_form_card,
        )
        .unwrap()
        .unwrap();
        assert_eq!(four_digit_year.expiry, CardExpiry { year: 2031, month: 1 });
        let cases = [
            (json!({"pan": "4970100000000000", "expiryMonth": "11", "expiryYear": "30"}), ErrorCode::Int874),
            (json!({"paymentMethodType": "SDD"}), ErrorCode::Int892),
            (json!({"paymentMethodType": "CARD", "pan": "49701"}), ErrorCode::Int040),
            (json!({"paymentMethodType": "CARD", "pan": "4970100000000000", "expiryMonth": "13"}), ErrorCode::Int041),
            (
                json!({"paymentMethodType": "CARD", "pan": "4970100000000000", "expiryMonth": "1", "expiryYear": "3"}),
                ErrorCode::Int042,
            ),
            (
                json!({"paymentMethodType": "CARD", "pan": "4970100000000000", "expiryMonth": "1", "expiryYear": "30",
                       "securityCode": "12"}),
                ErrorCode::Int043,
            ),
        ];
        for (form, code) in cases {
            let error = with(json!({ "paymentForms": [form] }), |f| payment_form_card(f).err()).unwrap();
            assert_eq!(error.code, code, "{error:?}");
            assert!(!error.detailed_message.unwrap_or_default().contains("4970100000000000"));
        }
    }

    #[test]
    fn options_and_dates() {
        let options = with(
            json!({"transactionOptions": {"cardOptions": {"captureDelay": 3, "manualValidation": "YES",
                   "initialIssuerTransactionIdentifier": "7360709304"}}}),
            transaction_card_options,
        )
        .unwrap();
        assert_eq!(options.capture(), (CaptureMode::Validation, 3));
        assert_eq!(options.initial_issuer_transaction_identifier.as_deref(), Some("7360709304"));
        let error = with(json!({"transactionOptions": {"cardOptions": {"manualValidation": "MAYBE"}}}), |f| {
            transaction_card_options(f)
        })
        .unwrap_err();
        assert_eq!(
            detail(error),
            (
                ErrorCode::Int005,
                "Invalid input value [name=transactionOptions.cardOptions.manualValidation, value=MAYBE]".into()
            )
        );
        assert_eq!(
            with(json!({"transactionOptions": {"cardOptions": {"captureDelay": 100}}}), transaction_card_options)
                .unwrap_err()
                .code,
            ErrorCode::Int860
        );
        let day = parse_date_time("2026-12-01T00:00:00+00:00").unwrap();
        assert_eq!(parse_date_time("2026-12-01"), Some(day));
        assert_eq!(parse_date_time("2026-12-01T01:00:00+01:00"), Some(day));
        assert_eq!(parse_date_time("2026-12-01T00:00:00+0000"), Some(day));
        assert_eq!(parse_date_time("01/12/2026"), None);
    }

    #[test]
    fn customers() {
        assert!(with(json!({"customer": {"email": "a@b.example"}}), |f| f.customer()).is_ok());
        let error = with(json!({"customer": {"email": "fake-email"}}), |f| f.customer()).unwrap_err();
        assert_eq!(
            detail(error),
            (ErrorCode::Int015, "Invalid input value [name=customer.email, value=fake-email]".into())
        );
        assert_eq!(with(json!({"customer": "x"}), |f| f.customer()).unwrap_err().code, ErrorCode::Int001);
    }
}
