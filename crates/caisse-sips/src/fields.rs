//! Typed readers over a request's field map. Each reader answers the value, or the
//! responseCode 12 (missing) / 30 (format) with the field's name for `errorFieldName`.
//!
//! Values are JSON strings on the wire; JSON numbers are accepted wherever a scalar is
//! expected (merchants' clients differ) and read as their decimal text. `null` and `""` mean
//! "not given", as an empty optional field does on the platform.

use crate::response_code::ResponseCode;
use caisse_core::card::{CardBrand, CardExpiry, Pan};
use caisse_core::wallet::Iban;
use caisse_core::{Amount, CaptureMode, Currency, ShopId, TransactionKey};
use chrono::NaiveDate;
use serde_json::{Map, Value};
use std::borrow::Cow;

/// Why a request field was refused. Holds the field's name, never its value: values may be
/// card data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub code: ResponseCode,
    /// Static for the fields a method reads; owned for a field found by walking the message
    /// (a container nested too deep).
    pub field: Cow<'static, str>,
}

impl FieldError {
    pub fn missing(field: impl Into<Cow<'static, str>>) -> FieldError {
        FieldError { code: ResponseCode::InvalidTransaction, field: field.into() }
    }

    pub fn format(field: impl Into<Cow<'static, str>>) -> FieldError {
        FieldError { code: ResponseCode::FormatError, field: field.into() }
    }
}

pub type FieldResult<T> = Result<T, FieldError>;

/// Dictionary formats (Sips data dictionary), as limits.
pub const MERCHANT_ID_DIGITS_MAX: usize = 15;
pub const AMOUNT_DIGITS_MAX: usize = 12;
pub const TRANSACTION_REFERENCE_CHARS_MAX: usize = 35;
pub const S10_TRANSACTION_ID_DIGITS_MAX: usize = 6;
pub const KEY_VERSION_DIGITS_MAX: usize = 10;
pub const ORDER_ID_CHARS_MAX: usize = 32;
pub const RETURN_CONTEXT_CHARS_MAX: usize = 255;
const _: () = assert!(AMOUNT_DIGITS_MAX == 12, "Amount::MAX is the largest N12");

pub const ORDER_CHANNELS: [&str; 5] = ["INTERNET", "MOTO", "INAPP", "MAIL_ORDER", "TELEPHONE_ORDER"];
pub const PAYMENT_PATTERNS: [&str; 4] = ["ONE_SHOT", "RECURRING_1", "RECURRING_N", "INSTALMENT"];
/// The only `panType` caisse supports so far: the clear card number.
pub const PAN_TYPE_PAN: &str = "PAN";

#[derive(Clone, Copy)]
pub struct Fields<'a> {
    map: &'a Map<String, Value>,
}

impl<'a> Fields<'a> {
    pub fn new(map: &'a Map<String, Value>) -> Fields<'a> {
        Fields { map }
    }

    pub fn map(&self) -> &'a Map<String, Value> {
        self.map
    }

    /// The value of a field that is given: not absent, null, `""`, `{}` or `[]`.
    pub fn given(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name).filter(|value| !is_empty(value))
    }

    /// A scalar's text.
    pub fn text(&self, name: &'static str) -> FieldResult<Option<Cow<'a, str>>> {
        match self.given(name) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(Cow::Borrowed(text.as_str()))),
            Some(Value::Number(number)) => Ok(Some(Cow::Owned(number.to_string()))),
            Some(_) => Err(FieldError::format(name)),
        }
    }

    pub fn required_text(&self, name: &'static str) -> FieldResult<Cow<'a, str>> {
        self.text(name)?.ok_or_else(|| FieldError::missing(name))
    }

    /// Free text of at most `max_chars` characters.
    pub fn bounded_text(&self, name: &'static str, max_chars: usize) -> FieldResult<Option<String>> {
        match self.text(name)? {
            Some(text) if text.chars().count() > max_chars => Err(FieldError::format(name)),
            other => Ok(other.map(Cow::into_owned)),
        }
    }

    /// Digits only, `1..=max_digits` of them.
    pub fn digits(&self, name: &'static str, max_digits: usize) -> FieldResult<Option<Cow<'a, str>>> {
        match self.text(name)? {
            Some(text) if !is_digits(&text, 1, max_digits) => Err(FieldError::format(name)),
            other => Ok(other),
        }
    }

    /// `merchantId` / `fromMerchantId`: N15.
    pub fn merchant_id(&self, name: &'static str) -> FieldResult<Option<ShopId>> {
        Ok(self.digits(name, MERCHANT_ID_DIGITS_MAX)?.map(|digits| ShopId(digits.into_owned())))
    }

    /// `keyVersion`: N10, as a number.
    pub fn key_version(&self) -> FieldResult<Option<u32>> {
        const NAME: &str = "keyVersion";
        match self.digits(NAME, KEY_VERSION_DIGITS_MAX)? {
            None => Ok(None),
            Some(digits) => digits.parse().map(Some).map_err(|_| FieldError::format(NAME)),
        }
    }

    /// A mandatory amount in minor units: N12, above zero.
    pub fn amount(&self, name: &'static str) -> FieldResult<Amount> {
        let digits = self.digits(name, AMOUNT_DIGITS_MAX)?.ok_or_else(|| FieldError::missing(name))?;
        let amount = Amount(digits.parse().map_err(|_| FieldError::format(name))?);
        if amount.is_zero() {
            return Err(FieldError::format(name));
        }
        assert!(amount <= Amount::MAX);
        Ok(amount)
    }

    /// `currencyCode`, mandatory: an ISO 4217 numeric code with a minor unit. A JSON number
    /// loses its leading zeros (36 for "036"); they are put back.
    pub fn currency(&self) -> FieldResult<Currency> {
        const NAME: &str = "currencyCode";
        let text = self.required_text(NAME)?;
        let padded = match self.given(NAME) {
            Some(Value::Number(_)) if text.len() < 3 => format!("{text:0>3}"),
            _ => text.into_owned(),
        };
        Currency::from_numeric_code(&padded).ok_or_else(|| FieldError::format(NAME))
    }

    /// `captureDay`: 0 to 99 days.
    pub fn capture_day(&self) -> FieldResult<Option<u8>> {
        const NAME: &str = "captureDay";
        match self.digits(NAME, 2)? {
            None => Ok(None),
            Some(digits) => {
                let day: u8 = digits.parse().map_err(|_| FieldError::format(NAME))?;
                assert!(day <= CaptureMode::MAX_CAPTURE_DAY);
                Ok(Some(day))
            }
        }
    }

    pub fn capture_mode(&self) -> FieldResult<Option<CaptureMode>> {
        const NAME: &str = "captureMode";
        match self.text(NAME)? {
            None => Ok(None),
            Some(text) => CaptureMode::parse(&text).map(Some).ok_or_else(|| FieldError::format(NAME)),
        }
    }

    /// One of `allowed`, exactly (case-sensitive, as the dictionary lists them).
    pub fn one_of(&self, name: &'static str, allowed: &[&'static str]) -> FieldResult<Option<&'static str>> {
        match self.text(name)? {
            None => Ok(None),
            Some(text) => allowed
                .iter()
                .find(|value| **value == text)
                .map(|value| Some(*value))
                .ok_or_else(|| FieldError::format(name)),
        }
    }

    /// `transactionReference` and the like: letters and digits, 1 to 35 of them.
    pub fn reference(&self, name: &'static str) -> FieldResult<Option<String>> {
        match self.text(name)? {
            None => Ok(None),
            Some(text) => {
                let well_formed =
                    text.len() <= TRANSACTION_REFERENCE_CHARS_MAX && text.bytes().all(|b| b.is_ascii_alphanumeric());
                if well_formed { Ok(Some(text.into_owned())) } else { Err(FieldError::format(name)) }
            }
        }
    }

    pub fn required_reference(&self, name: &'static str) -> FieldResult<String> {
        self.reference(name)?.ok_or_else(|| FieldError::missing(name))
    }

    /// `cardNumber`, mandatory: 12 to 19 digits.
    pub fn pan(&self) -> FieldResult<Pan> {
        const NAME: &str = "cardNumber";
        let text = self.required_text(NAME)?;
        Pan::parse(&text).map_err(|_| FieldError::format(NAME))
    }

    /// `cardExpiryDate`, mandatory: YYYYMM, month 01–12.
    pub fn expiry(&self) -> FieldResult<CardExpiry> {
        const NAME: &str = "cardExpiryDate";
        let text = self.required_text(NAME)?;
        CardExpiry::parse_yyyymm(&text).ok_or_else(|| FieldError::format(NAME))
    }

    /// `cardCSCValue`: 3 or 4 digits.
    pub fn csc(&self) -> FieldResult<Option<String>> {
        const NAME: &str = "cardCSCValue";
        match self.text(NAME)? {
            Some(text) if !is_digits(&text, 3, 4) => Err(FieldError::format(NAME)),
            other => Ok(other.map(Cow::into_owned)),
        }
    }

    /// `panType`: only PAN (or absent) for now; TOKEN_PAN, CSE, STKPAN… are refused as
    /// formats caisse does not read.
    pub fn pan_type_is_pan(&self) -> FieldResult<()> {
        self.one_of("panType", &[PAN_TYPE_PAN]).map(|_| ())
    }

    /// `paymentMeanBrand`: a card brand caisse knows.
    pub fn brand(&self) -> FieldResult<Option<CardBrand>> {
        const NAME: &str = "paymentMeanBrand";
        match self.text(NAME)? {
            None => Ok(None),
            Some(text) => CardBrand::from_sips_name(&text).map(Some).ok_or_else(|| FieldError::format(NAME)),
        }
    }

    /// The transaction a cash-management or diagnostic call is about: `transactionReference`,
    /// else the `s10TransactionReference` container; neither is 12 on transactionReference.
    /// `today` stands in for a missing `s10TransactionIdDate`.
    pub fn transaction_key(&self, today: NaiveDate) -> FieldResult<TransactionKey> {
        const NAME: &str = "transactionReference";
        if let Some(reference) = self.reference(NAME)? {
            return Ok(TransactionKey::Reference(reference));
        }
        let s10 =
            S10Names { container: "s10TransactionReference", id: "s10TransactionId", date: "s10TransactionIdDate" };
        self.s10(&s10, today)?.ok_or_else(|| FieldError::missing(NAME))
    }

    /// The source of a duplicate: `fromTransactionReference`, else the
    /// `s10FromTransactionReference` container.
    pub fn source_transaction_key(&self, today: NaiveDate) -> FieldResult<TransactionKey> {
        const NAME: &str = "fromTransactionReference";
        if let Some(reference) = self.reference(NAME)? {
            return Ok(TransactionKey::Reference(reference));
        }
        let s10 = S10Names {
            container: "s10FromTransactionReference",
            id: "s10FromTransactionId",
            date: "s10FromTransactionIdDate",
        };
        self.s10(&s10, today)?.ok_or_else(|| FieldError::missing(NAME))
    }

    fn s10(&self, names: &S10Names, today: NaiveDate) -> FieldResult<Option<TransactionKey>> {
        let container = match self.given(names.container) {
            None => return Ok(None),
            Some(Value::Object(container)) => Fields::new(container),
            Some(_) => return Err(FieldError::format(names.container)),
        };
        let id =
            container.digits(names.id, S10_TRANSACTION_ID_DIGITS_MAX)?.ok_or_else(|| FieldError::missing(names.id))?;
        let id: u32 = id.parse().map_err(|_| FieldError::format(names.id))?;
        let date = match container.digits(names.date, 8)? {
            None => today,
            Some(text) => NaiveDate::parse_from_str(&text, "%Y%m%d")
                .ok()
                .filter(|_| text.len() == 8)
                .ok_or_else(|| FieldError::format(names.date))?,
        };
        Ok(Some(TransactionKey::S10 { id, date }))
    }
}

struct S10Names {
    container: &'static str,
    id: &'static str,
    date: &'static str,
}

/// Null, `""`, `{}` and `[]`: what the seal skips and what an answer leaves out.
pub fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(text) => text.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(fields) => fields.is_empty(),
        Value::Bool(_) | Value::Number(_) => false,
    }
}

fn is_digits(text: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests;

// --- Wallets -------------------------------------------------------------------------------

/// `merchantWalletId`: AN21 restrictedString (data dictionary).
pub const MERCHANT_WALLET_ID_CHARS_MAX: usize = 21;
/// `paymentMeanId`: N6, the mean's rank in its wallet.
pub const PAYMENT_MEAN_ID_DIGITS_MAX: usize = 6;
/// `paymentMeanAlias`: not in the dictionary; caisse takes up to this many characters.
pub const PAYMENT_MEAN_ALIAS_CHARS_MAX: usize = 50;
/// A SEPA mandate reference (RUM): at most 35 characters.
pub const MANDATE_ID_CHARS_MAX: usize = 35;

impl<'a> Fields<'a> {
    /// `merchantWalletId`, mandatory: letters, digits, `_ . + - @` and space, 1 to 21 of them.
    pub fn merchant_wallet_id(&self) -> FieldResult<String> {
        const NAME: &str = "merchantWalletId";
        let text = self.required_text(NAME)?;
        let restricted = |c: char| c.is_ascii_alphanumeric() || "_.+-@ ".contains(c);
        if text.chars().count() > MERCHANT_WALLET_ID_CHARS_MAX || !text.chars().all(restricted) {
            return Err(FieldError::format(NAME));
        }
        Ok(text.into_owned())
    }

    /// `paymentMeanId`, mandatory: N6.
    pub fn payment_mean_id(&self) -> FieldResult<u32> {
        const NAME: &str = "paymentMeanId";
        let digits = self.digits(NAME, PAYMENT_MEAN_ID_DIGITS_MAX)?.ok_or_else(|| FieldError::missing(NAME))?;
        digits.parse().map_err(|_| FieldError::format(NAME))
    }

    /// `paymentMeanAlias`: free text.
    pub fn payment_mean_alias(&self) -> FieldResult<Option<String>> {
        self.bounded_text("paymentMeanAlias", PAYMENT_MEAN_ALIAS_CHARS_MAX)
    }

    /// `iban`, mandatory: an IBAN of a SEPA country, electronic form, its check digits right.
    pub fn iban(&self) -> FieldResult<Iban> {
        const NAME: &str = "iban";
        let text = self.required_text(NAME)?;
        Iban::parse(&text).map_err(|_| FieldError::format(NAME))
    }

    /// `bic`: 4 letters (bank), 2 (country), 2 letters or digits (place), optionally 3 more (branch).
    pub fn bic(&self) -> FieldResult<Option<String>> {
        const NAME: &str = "bic";
        let Some(text) = self.text(NAME)? else {
            return Ok(None);
        };
        let bytes = text.as_bytes();
        let well_formed = matches!(bytes.len(), 8 | 11)
            && bytes[..6].iter().all(u8::is_ascii_uppercase)
            && bytes[6..].iter().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if well_formed { Ok(Some(text.into_owned())) } else { Err(FieldError::format(NAME)) }
    }

    /// `mandateId`: a SEPA mandate reference, the scheme's characters, at most 35.
    pub fn mandate_id(&self) -> FieldResult<Option<String>> {
        const NAME: &str = "mandateId";
        let Some(text) = self.text(NAME)? else {
            return Ok(None);
        };
        let sepa = |c: char| c.is_ascii_alphanumeric() || "/-?:().,'+ ".contains(c);
        if text.chars().count() > MANDATE_ID_CHARS_MAX || !text.chars().all(sepa) {
            return Err(FieldError::format(NAME));
        }
        Ok(Some(text.into_owned()))
    }
}
