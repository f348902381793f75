//! Card numbers and what can be said about them without the acquirer.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A primary account number: 12 to 19 digits. Its `Debug` and `Display` are masked so that a
/// PAN can never reach a log by accident; the digits are only reachable through `digits()`.
#[derive(Clone, PartialEq, Eq)]
pub struct Pan(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PanError {
    #[error("a card number has 12 to 19 digits")]
    Format,
}

impl Pan {
    pub const MIN_DIGITS: usize = 12;
    pub const MAX_DIGITS: usize = 19;

    pub fn parse(text: &str) -> Result<Pan, PanError> {
        let length_ok = (Self::MIN_DIGITS..=Self::MAX_DIGITS).contains(&text.len());
        if !length_ok || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PanError::Format);
        }
        Ok(Pan(text.to_owned()))
    }

    /// The clear digits. Callers: the vault (to encrypt) and the acquirer (to authorise).
    pub fn digits(&self) -> &str {
        &self.0
    }

    /// The first six digits (the BIN / IIN).
    pub fn bin(&self) -> &str {
        &self.0[..6]
    }

    /// The last two digits: in the simulation they pick the acquirer's answer.
    pub fn last_two(&self) -> &str {
        &self.0[self.0.len() - 2..]
    }

    pub fn last_four(&self) -> &str {
        &self.0[self.0.len() - 4..]
    }

    pub fn passes_luhn(&self) -> bool {
        luhn(&self.0)
    }

    /// Sips mask: first 4 and last 2 digits, `#` for the rest (`4100##########00`).
    pub fn masked_sips(&self) -> String {
        mask(&self.0, 4, 2, '#')
    }

    /// Lyra mask: first 6 and last 4 digits, `X` for the rest (`497010XXXXXX0000`).
    pub fn masked_lyra(&self) -> String {
        mask(&self.0, 6, 4, 'X')
    }
}

fn mask(digits: &str, head: usize, tail: usize, fill: char) -> String {
    let hidden = digits.len().saturating_sub(head + tail);
    let mut masked = String::with_capacity(digits.len());
    masked.push_str(&digits[..head.min(digits.len())]);
    masked.extend(std::iter::repeat_n(fill, hidden));
    masked.push_str(&digits[digits.len() - tail.min(digits.len() - head.min(digits.len()))..]);
    masked
}

impl fmt::Debug for Pan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pan({})", self.masked_sips())
    }
}

impl fmt::Display for Pan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked_sips())
    }
}

/// The Luhn (mod 10) checksum over a string of ASCII digits.
pub fn luhn(digits: &str) -> bool {
    let mut sum = 0u32;
    for (index, byte) in digits.bytes().rev().enumerate() {
        if !byte.is_ascii_digit() {
            return false;
        }
        let mut digit = u32::from(byte - b'0');
        if index % 2 == 1 {
            digit *= 2;
            if digit > 9 {
                digit -= 9;
            }
        }
        sum += digit;
    }
    !digits.is_empty() && sum.is_multiple_of(10)
}

/// A card's expiry month.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CardExpiry {
    pub year: u16,
    pub month: u8,
}

impl CardExpiry {
    /// Parses Sips' `YYYYMM`.
    pub fn parse_yyyymm(text: &str) -> Option<CardExpiry> {
        if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let year: u16 = text[..4].parse().ok()?;
        let month: u8 = text[4..].parse().ok()?;
        CardExpiry::new(year, month)
    }

    pub fn new(year: u16, month: u8) -> Option<CardExpiry> {
        ((1..=12).contains(&month) && year >= 1000).then_some(CardExpiry { year, month })
    }

    pub fn yyyymm(self) -> String {
        format!("{:04}{:02}", self.year, self.month)
    }

    /// A card is valid through the last day of its expiry month.
    pub fn is_expired_at(self, today: chrono::NaiveDate) -> bool {
        use chrono::Datelike;
        let today_month = (today.year() as i64) * 12 + i64::from(today.month());
        let expiry_month = i64::from(self.year) * 12 + i64::from(self.month);
        expiry_month < today_month
    }
}

/// Card brands caisse knows, named as Sips names them (`paymentMeanBrand`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CardBrand {
    #[serde(rename = "CB")]
    Cb,
    #[serde(rename = "VISA")]
    Visa,
    #[serde(rename = "MASTERCARD")]
    Mastercard,
    #[serde(rename = "AMEX")]
    Amex,
    #[serde(rename = "MAESTRO")]
    Maestro,
    #[serde(rename = "VPAY")]
    Vpay,
    #[serde(rename = "VISA_ELECTRON")]
    VisaElectron,
    #[serde(rename = "JCB")]
    Jcb,
    #[serde(rename = "DINERS")]
    Diners,
    #[serde(rename = "CUP")]
    Cup,
    #[serde(rename = "BCMC")]
    Bcmc,
    #[serde(rename = "AURORE")]
    Aurore,
}

impl CardBrand {
    pub const ALL: [CardBrand; 12] = [
        CardBrand::Cb,
        CardBrand::Visa,
        CardBrand::Mastercard,
        CardBrand::Amex,
        CardBrand::Maestro,
        CardBrand::Vpay,
        CardBrand::VisaElectron,
        CardBrand::Jcb,
        CardBrand::Diners,
        CardBrand::Cup,
        CardBrand::Bcmc,
        CardBrand::Aurore,
    ];

    pub fn sips_name(self) -> &'static str {
        match self {
            CardBrand::Cb => "CB",
            CardBrand::Visa => "VISA",
            CardBrand::Mastercard => "MASTERCARD",
            CardBrand::Amex => "AMEX",
            CardBrand::Maestro => "MAESTRO",
            CardBrand::Vpay => "VPAY",
            CardBrand::VisaElectron => "VISA_ELECTRON",
            CardBrand::Jcb => "JCB",
            CardBrand::Diners => "DINERS",
            CardBrand::Cup => "CUP",
            CardBrand::Bcmc => "BCMC",
            CardBrand::Aurore => "AURORE",
        }
    }

    pub fn from_sips_name(name: &str) -> Option<CardBrand> {
        CardBrand::ALL.into_iter().find(|brand| brand.sips_name() == name)
    }
}

/// What caisse keeps in the clear about a stored card: enough to show and to route it, never
/// enough to pay with it. The PAN itself lives encrypted in the vault under `card_id`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardSummary {
    /// Key of the vault entry that holds the encrypted PAN.
    pub card_id: String,
    pub masked_pan: String,
    pub bin: String,
    pub last_four: String,
    pub expiry: CardExpiry,
    pub brand: CardBrand,
    /// Other brands on a co-badged card (CB + VISA).
    #[serde(default)]
    pub co_brands: Vec<CardBrand>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_checks() {
        assert!(luhn("4111111111111111"));
        assert!(luhn("4970101122334406"));
        assert!(!luhn("4111111111111112"));
        assert!(!luhn(""));
    }

    #[test]
    fn masks() {
        let pan = Pan::parse("4100000000000000").unwrap();
        assert_eq!(pan.masked_sips(), "4100##########00");
        assert_eq!(pan.masked_lyra(), "410000XXXXXX0000");
        assert_eq!(format!("{pan:?}"), "Pan(4100##########00)");
        assert_eq!(pan.to_string(), "4100##########00");
    }

    #[test]
    fn pan_format() {
        assert!(Pan::parse("41000000000").is_err());
        assert!(Pan::parse("41000000000000000000").is_err());
        assert!(Pan::parse("4100 0000 0000 0000").is_err());
    }

    #[test]
    fn expiry() {
        let expiry = CardExpiry::parse_yyyymm("202612").unwrap();
        assert_eq!(expiry.yyyymm(), "202612");
        assert!(CardExpiry::parse_yyyymm("202613").is_none());
        assert!(CardExpiry::parse_yyyymm("20261").is_none());
        let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert!(!expiry.is_expired_at(day(2026, 12, 31)));
        assert!(expiry.is_expired_at(day(2027, 1, 1)));
    }
}
