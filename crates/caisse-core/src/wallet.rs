//! Wallets (Sips `wallet` family): a shop's named set of its customer's payment means (cards
//! in the vault, SEPA mandates), each known by its rank in the wallet (`paymentMeanId`). A
//! wallet belongs to one shop: another shop never sees it, even under the same name.

use crate::card::{CardBrand, CardSummary};
use crate::ports::NewCard;
use crate::shop::ShopId;
use crate::token::{SepaMandate, TokenMethod};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// `paymentMeanBrand` of a SEPA direct debit mean (Sips wallet sample).
pub const SEPA_DIRECT_DEBIT_BRAND: &str = "SEPA_DIRECT_DEBIT";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wallet {
    pub shop_id: ShopId,
    /// The merchant's name for the wallet (`merchantWalletId`).
    pub merchant_wallet_id: String,
    pub created_at: DateTime<Utc>,
    /// The last change to the wallet or one of its means.
    pub last_action_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalletPaymentMean {
    /// Rank in the wallet, from 1, never given twice in one wallet (`paymentMeanId`).
    pub payment_mean_id: u32,
    pub alias: Option<String>,
    /// A card (its vault entry) or a SEPA mandate.
    pub method: TokenMethod,
    pub created_at: DateTime<Utc>,
}

impl WalletPaymentMean {
    pub fn card(&self) -> Option<&CardSummary> {
        match &self.method {
            TokenMethod::Card { card } => Some(card),
            TokenMethod::Sdd { .. } => None,
        }
    }

    pub fn mandate(&self) -> Option<&SepaMandate> {
        match &self.method {
            TokenMethod::Card { .. } => None,
            TokenMethod::Sdd { mandate } => Some(mandate),
        }
    }

    /// What the merchant is shown of the mean: a card's masked PAN, a mandate's masked IBAN.
    pub fn masked_number(&self) -> &str {
        match &self.method {
            TokenMethod::Card { card } => &card.masked_pan,
            TokenMethod::Sdd { mandate } => &mandate.masked_iban,
        }
    }

    pub fn brand_name(&self) -> &'static str {
        match &self.method {
            TokenMethod::Card { card } => card.brand.sips_name(),
            TokenMethod::Sdd { .. } => SEPA_DIRECT_DEBIT_BRAND,
        }
    }
}

/// A payment mean to add to a wallet, with what only the store may see of it.
#[derive(Clone, Debug)]
pub struct NewWalletMean {
    pub shop_id: ShopId,
    pub merchant_wallet_id: String,
    pub alias: Option<String>,
    pub method: TokenMethod,
    pub secret: WalletSecret,
    /// When the mean is added (and the wallet created, if new).
    pub at: DateTime<Utc>,
}

/// The clear number behind a new mean: a card goes to the vault; an IBAN is not kept (its
/// mandate holds the masked one).
#[derive(Clone, Debug)]
pub enum WalletSecret {
    Card(NewCard),
    Iban(Iban),
}

impl NewWalletMean {
    /// What makes two means of one wallet the same (responseCode 94): the card number or the
    /// account. Clear text: the store keeps only a keyed hash of it.
    pub fn identity(&self) -> String {
        match &self.secret {
            WalletSecret::Card(card) => format!("CARD:{}", card.pan.digits()),
            WalletSecret::Iban(iban) => format!("IBAN:{}", iban.as_str()),
        }
    }
}

/// A card summary with the brand the merchant chose for a co-badged card first. `None` when
/// the card does not carry that brand.
pub fn with_brand_choice(card: CardSummary, choice: Option<CardBrand>) -> Option<CardSummary> {
    let Some(choice) = choice else {
        return Some(card);
    };
    if choice == card.brand {
        return Some(card);
    }
    if !card.co_brands.contains(&choice) {
        return None;
    }
    let mut co_brands: Vec<CardBrand> = card.co_brands.iter().copied().filter(|brand| *brand != choice).collect();
    co_brands.insert(0, card.brand);
    Some(CardSummary { brand: choice, co_brands, ..card })
}

/// An International Bank Account Number (ISO 13616), electronic form: country, check digits,
/// BBAN, no spaces. `Debug` and `Display` are masked like a PAN.
#[derive(Clone, PartialEq, Eq)]
pub struct Iban(String);

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IbanError {
    #[error("not an IBAN: country letters, two check digits, letters and digits")]
    Format,
    #[error("not an IBAN of a SEPA country, or not of that country's length")]
    Country,
    #[error("IBAN check digits do not match")]
    Checksum,
}

/// IBAN lengths of the SEPA countries (SWIFT IBAN registry); French overseas departments use FR.
const SEPA_IBAN_LENGTHS: [(&str, usize); 37] = [
    ("AD", 24),
    ("AT", 20),
    ("BE", 16),
    ("BG", 22),
    ("CH", 21),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DK", 18),
    ("EE", 20),
    ("ES", 24),
    ("FI", 18),
    ("FR", 27),
    ("GB", 22),
    ("GI", 23),
    ("GR", 27),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IS", 26),
    ("IT", 27),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("MC", 27),
    ("MT", 31),
    ("NL", 18),
    ("NO", 15),
    ("PL", 28),
    ("PT", 25),
    ("RO", 24),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("VA", 22),
];

impl Iban {
    pub const MAX_CHARS: usize = 34;

    pub fn parse(text: &str) -> Result<Iban, IbanError> {
        let bytes = text.as_bytes();
        let well_formed = (15..=Self::MAX_CHARS).contains(&bytes.len())
            && bytes[..2].iter().all(u8::is_ascii_uppercase)
            && bytes[2..4].iter().all(u8::is_ascii_digit)
            && bytes[4..].iter().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if !well_formed {
            return Err(IbanError::Format);
        }
        let length_ok =
            SEPA_IBAN_LENGTHS.iter().any(|(country, length)| *country == &text[..2] && *length == text.len());
        if !length_ok {
            return Err(IbanError::Country);
        }
        if mod97(text) != 1 {
            return Err(IbanError::Checksum);
        }
        Ok(Iban(text.to_owned()))
    }

    /// The clear IBAN. Callers: the store (to fingerprint it), never an answer.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first 4 and last 2 characters, `#` for the rest, as Sips masks a PAN.
    pub fn masked(&self) -> String {
        let hidden = self.0.len() - 6;
        format!("{}{}{}", &self.0[..4], "#".repeat(hidden), &self.0[self.0.len() - 2..])
    }
}

/// ISO 7064 MOD 97-10 over the IBAN moved to check order (BBAN, country, check digits), letters
/// as two digits (A = 10 … Z = 35), computed piecewise so no big integer is needed.
fn mod97(iban: &str) -> u32 {
    let rearranged = iban[4..].bytes().chain(iban[..4].bytes());
    let mut remainder = 0u32;
    for byte in rearranged {
        remainder = if byte.is_ascii_digit() {
            (remainder * 10 + u32::from(byte - b'0')) % 97
        } else {
            (remainder * 100 + u32::from(byte - b'A') + 10) % 97
        };
    }
    remainder
}

impl fmt::Debug for Iban {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Iban({})", self.masked())
    }
}

impl fmt::Display for Iban {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::CardExpiry;

    #[test]
    fn iban_checksum_country_and_format() {
        // Published examples (FR: the ECBS/SWIFT registry sample; DE, GB likewise).
        for valid in ["FR1420041010050500013M02606", "DE89370400440532013000", "GB29NWBK60161331926819"] {
            assert!(Iban::parse(valid).is_ok(), "{valid}");
        }
        assert_eq!(Iban::parse("FR1420041010050500013M02607"), Err(IbanError::Checksum));
        assert_eq!(Iban::parse("DE88370400440532013000"), Err(IbanError::Checksum));
        assert_eq!(Iban::parse("DE8937040044053201300"), Err(IbanError::Country), "one character short");
        assert_eq!(Iban::parse("US12345678901234567890"), Err(IbanError::Country));
        for bad in ["", "FR14 2004 1010 0505 0001 3M02 606", "fr1420041010050500013M02606", "FRXX20041010050500"] {
            assert_eq!(Iban::parse(bad), Err(IbanError::Format), "{bad:?}");
        }
    }

    #[test]
    fn iban_is_masked_like_a_pan() {
        let iban = Iban::parse("FR1420041010050500013M02606").unwrap();
        assert_eq!(iban.masked(), "FR14#####################06");
        assert_eq!(iban.masked().len(), iban.as_str().len());
        assert_eq!(format!("{iban:?}"), "Iban(FR14#####################06)");
        assert_eq!(iban.to_string(), iban.masked());
    }

    fn card(brand: CardBrand, co_brands: Vec<CardBrand>) -> CardSummary {
        CardSummary {
            card_id: "c".into(),
            masked_pan: "4300##########00".into(),
            bin: "430000".into(),
            last_four: "0000".into(),
            expiry: CardExpiry::new(2030, 12).unwrap(),
            brand,
            co_brands,
        }
    }

    #[test]
    fn brand_choice_must_be_on_the_card() {
        let cobadged = card(CardBrand::Cb, vec![CardBrand::Visa]);
        assert_eq!(with_brand_choice(cobadged.clone(), None), Some(cobadged.clone()));
        assert_eq!(with_brand_choice(cobadged.clone(), Some(CardBrand::Cb)), Some(cobadged.clone()));
        let visa = with_brand_choice(cobadged.clone(), Some(CardBrand::Visa)).unwrap();
        assert_eq!((visa.brand, visa.co_brands), (CardBrand::Visa, vec![CardBrand::Cb]));
        assert_eq!(with_brand_choice(cobadged, Some(CardBrand::Amex)), None);
    }
}
