//! Money is an integer count of the currency's minor unit; never a float.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An amount in the minor unit of its currency (cents for EUR, yen for JPY, fils for KWD).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Amount(pub u64);

impl Amount {
    pub const ZERO: Amount = Amount(0);

    /// Largest amount a request may carry: the Sips dictionary types `amount` as N12.
    pub const MAX: Amount = Amount(999_999_999_999);

    pub fn minor_units(self) -> u64 {
        self.0
    }

    pub fn checked_sub(self, other: Amount) -> Option<Amount> {
        self.0.checked_sub(other.0).map(Amount)
    }

    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        self.0.checked_add(other.0).map(Amount)
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }
}

impl Amount {
    /// In the currency's major unit with its decimals: `1524` EUR → `15.24`, `500` JPY → `500`.
    pub fn decimal_text(self, currency: Currency) -> String {
        let exponent = u32::from(currency.exponent());
        if exponent == 0 {
            return self.0.to_string();
        }
        let scale = 10u64.pow(exponent);
        format!("{}.{:0width$}", self.0 / scale, self.0 % scale, width = exponent as usize)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// An ISO 4217 currency that has a numeric code and a defined minor unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Currency(iso_currency::Currency);

impl Currency {
    pub const EUR: Currency = Currency(iso_currency::Currency::EUR);

    /// Parses the 3-digit ISO 4217 numeric code ("978"). Funds and metals without a minor
    /// unit (XAU, XXX…) are not payment currencies and are refused.
    pub fn from_numeric_code(code: &str) -> Option<Currency> {
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let number: u16 = code.parse().ok()?;
        let currency = iso_currency::Currency::from_numeric(number)?;
        currency.exponent()?;
        Some(Currency(currency))
    }

    /// Parses the alphabetic code ("EUR"), as REST V4 sends it.
    pub fn from_alpha_code(code: &str) -> Option<Currency> {
        let currency = iso_currency::Currency::from_code(code)?;
        currency.exponent()?;
        Some(Currency(currency))
    }

    /// The zero-padded numeric code, as Sips and the Form API send it.
    pub fn numeric_code(self) -> String {
        format!("{:03}", self.0.numeric())
    }

    pub fn alpha_code(self) -> &'static str {
        self.0.code()
    }

    /// Number of decimal places of the minor unit: 0 (JPY), 2 (EUR), 3 (KWD).
    pub fn exponent(self) -> u8 {
        self.0.exponent().unwrap_or(2) as u8
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.alpha_code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Currency::from_alpha_code(&code).ok_or_else(|| serde::de::Error::custom(format!("unknown currency {code}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_text_by_exponent() {
        let currency = |code| Currency::from_alpha_code(code).unwrap();
        assert_eq!(Amount(1524).decimal_text(currency("EUR")), "15.24");
        assert_eq!(Amount(5).decimal_text(currency("EUR")), "0.05");
        assert_eq!(Amount(500).decimal_text(currency("JPY")), "500");
        assert_eq!(Amount(1).decimal_text(currency("KWD")), "0.001");
    }

    #[test]
    fn numeric_codes_and_exponents() {
        let eur = Currency::from_numeric_code("978").unwrap();
        assert_eq!(eur.alpha_code(), "EUR");
        assert_eq!(eur.exponent(), 2);
        assert_eq!(Currency::from_numeric_code("392").unwrap().exponent(), 0);
        assert_eq!(Currency::from_numeric_code("414").unwrap().exponent(), 3);
        assert_eq!(Currency::from_numeric_code("036").unwrap().numeric_code(), "036");
    }

    #[test]
    fn rejects_bad_codes() {
        for code in ["97", "9780", "EUR", "000", "abc", "", "959"] {
            assert!(Currency::from_numeric_code(code).is_none(), "{code}");
        }
    }
}
