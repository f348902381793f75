//! The BIN table: what a card number's first digits say about the card — its brands, the
//! scheme product, the issuer's country and the card type. The acquirer routes on it and
//! `getCardData` answers from it (PROTOCOLS.md §5.1).
//!
//! The table is data, not code. Scheme rows are facts about whole ranges (VISA 4, MASTERCARD
//! 51–55…); the product, country and card type are filled only where the range says them
//! (a simulation BIN, Maestro always debit, the French Carte Bleue block): caisse has no bank's
//! own BIN file, and an empty column is better than an invented issuer.

use crate::card::CardBrand;
use crate::card::CardBrand::{Amex, Bcmc, Cb, Cup, Diners, Jcb, Maestro, Mastercard, Visa, VisaElectron};

/// Where a range comes from, which decides how strictly its numbers are checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RangeOrigin {
    /// A scheme's real range: its numbers must pass Luhn.
    Scheme,
    /// A Sips simulation BIN (PROTOCOLS.md §1): not Luhn-checked, because the tester changes the
    /// last two digits to pick the answer; every card is 3-D Secure enrolled.
    SipsSimulation,
    /// The Lyra test range 4970 10 (PROTOCOLS.md §2, §4): the test guide's own numbers fail Luhn.
    LyraTest,
}

/// What a card is, as `getCardData` reports it (`cardProductProfile`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CardType {
    Credit,
    Debit,
    Prepaid,
}

impl CardType {
    /// `cardProductProfile`: C credit, D debit, P prepaid (Sips data dictionary).
    pub fn profile(self) -> &'static str {
        match self {
            CardType::Credit => "C",
            CardType::Debit => "D",
            CardType::Prepaid => "P",
        }
    }

    /// `cardProductUsageLabel`.
    pub fn usage_label(self) -> &'static str {
        match self {
            CardType::Credit => "CREDIT",
            CardType::Debit => "DEBIT",
            CardType::Prepaid => "PREPAID",
        }
    }
}

/// One row: every card number whose first `low.len()` digits lie in `low..=high`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BinRange {
    /// Lowest prefix of the range ("2221").
    pub low: &'static str,
    /// Highest prefix, with as many digits as `low` ("2720"), so that comparing the texts
    /// compares the numbers.
    pub high: &'static str,
    /// The brand a transaction gets unless the holder chooses another one of the card.
    pub brand: CardBrand,
    /// The other brands of a co-badged card (CB + VISA), in preference order.
    pub co_brands: &'static [CardBrand],
    /// Scheme product code (`cardProductCode`: VISA `F`, MASTERCARD `MDS`…); `None` while unknown.
    pub product_code: Option<&'static str>,
    /// Scheme product name (`cardProductName`); `None` while unknown.
    pub product_name: Option<&'static str>,
    /// Issuer's country, ISO 3166-1 alpha-3 (`issuerCountryCode`); `None` while unknown.
    pub issuer_country: Option<&'static str>,
    pub card_type: Option<CardType>,
    pub origin: RangeOrigin,
}

impl BinRange {
    /// Number of leading digits the range looks at; a longer prefix is more specific.
    pub fn prefix_len(&self) -> usize {
        self.low.len()
    }

    /// Whether a card number (or a bare IIN, as `getCardData` accepts) is in the range.
    pub fn contains(&self, digits: &str) -> bool {
        match digits.get(..self.prefix_len()) {
            Some(prefix) => self.low <= prefix && prefix <= self.high,
            None => false,
        }
    }

    /// Test ranges: exempt from Luhn (PROTOCOLS.md §4).
    pub fn is_test_range(&self) -> bool {
        match self.origin {
            RangeOrigin::SipsSimulation | RangeOrigin::LyraTest => true,
            RangeOrigin::Scheme => false,
        }
    }

    /// Every brand of the card, the default one first.
    pub fn brands(&self) -> impl Iterator<Item = CardBrand> + '_ {
        std::iter::once(self.brand).chain(self.co_brands.iter().copied())
    }

    /// Shortest and longest card numbers of the range (`panLengthMin`/`panLengthMax`): the
    /// scheme's rule; test ranges use 16 digits.
    pub fn pan_lengths(&self) -> (u8, u8) {
        if self.is_test_range() {
            return (16, 16);
        }
        match self.brand {
            Visa | Cb => (13, 19),
            VisaElectron | Mastercard => (16, 16),
            Amex => (15, 15),
            Maestro | Bcmc => (12, 19),
            Diners => (14, 19),
            Jcb | Cup => (16, 19),
            _ => (12, 19),
        }
    }

    /// `panCheckAlgorithm`: L (Luhn) for real ranges, N (none) for the test ranges caisse does
    /// not Luhn-check.
    pub fn pan_check_algorithm(&self) -> &'static str {
        if self.is_test_range() { "N" } else { "L" }
    }

    /// `issuerRegionCode` from the issuer's country: D Europe, C Asia/Oceania (Sips data
    /// dictionary); `None` when the country is unknown or its region is not in this list.
    pub fn issuer_region(&self) -> Option<&'static str> {
        match self.issuer_country? {
            "FRA" | "BEL" | "GBR" | "DEU" | "ESP" | "ITA" | "NLD" | "LUX" | "CHE" | "PRT" => Some("D"),
            "CHN" | "JPN" | "AUS" => Some("C"),
            _ => None,
        }
    }
}

/// `cardScheme` of a brand: the network that carries it (Maestro is MASTERCARD's, VISA
/// ELECTRON is VISA's).
pub fn card_scheme(brand: CardBrand) -> &'static str {
    match brand {
        Visa | VisaElectron | CardBrand::Vpay => "VISA",
        Mastercard | Maestro => "MASTERCARD",
        other => other.sips_name(),
    }
}

const fn scheme(low: &'static str, high: &'static str, brand: CardBrand) -> BinRange {
    BinRange {
        low,
        high,
        brand,
        co_brands: &[],
        product_code: None,
        product_name: None,
        issuer_country: None,
        card_type: None,
        origin: RangeOrigin::Scheme,
    }
}

/// A Sips simulation BIN: a French card of the given product.
const fn simulation(
    bin: &'static str,
    brand: CardBrand,
    co_brands: &'static [CardBrand],
    product: (Option<&'static str>, &'static str),
    card_type: CardType,
) -> BinRange {
    BinRange {
        co_brands,
        product_code: product.0,
        product_name: Some(product.1),
        issuer_country: Some("FRA"),
        card_type: Some(card_type),
        origin: RangeOrigin::SipsSimulation,
        ..scheme(bin, bin, brand)
    }
}

/// Maestro is a debit brand whatever the issuer.
const fn maestro(low: &'static str, high: &'static str) -> BinRange {
    BinRange { card_type: Some(CardType::Debit), ..scheme(low, high, Maestro) }
}

/// VISA Electron ranges: always debit, product L.
const fn visa_electron(low: &'static str, high: &'static str) -> BinRange {
    BinRange {
        product_code: Some("L"),
        product_name: Some("VISA ELECTRON"),
        card_type: Some(CardType::Debit),
        ..scheme(low, high, VisaElectron)
    }
}

const VISA_CLASSIC: (Option<&str>, &str) = (Some("F"), "VISA CLASSIC");

/// The table. Rows of the same prefix length never overlap (a test checks it); a longer prefix
/// wins over a shorter one, so a simulation BIN overrides its scheme's range.
pub const BIN_RANGES: &[BinRange] = &[
    // Sips simulation BINs, PROTOCOLS.md §1, as French cards.
    simulation("410000", Visa, &[], VISA_CLASSIC, CardType::Debit),
    simulation("420000", Cb, &[], (None, "CB NATIONALE"), CardType::Debit),
    simulation("430000", Cb, &[Visa], VISA_CLASSIC, CardType::Debit),
    simulation("510000", Mastercard, &[], (Some("MCS"), "MASTERCARD STANDARD"), CardType::Credit),
    simulation("520000", Cb, &[Mastercard], (Some("MDS"), "DEBIT MASTERCARD"), CardType::Debit),
    simulation("340000", Amex, &[], (None, "AMERICAN EXPRESS"), CardType::Credit),
    simulation("500000", Maestro, &[], (Some("MSI"), "MAESTRO"), CardType::Debit),
    // Lyra test cards 4970 10xx xxxx xxxx, PROTOCOLS.md §2: co-badged CB + VISA.
    BinRange {
        co_brands: &[Visa],
        product_code: VISA_CLASSIC.0,
        product_name: Some(VISA_CLASSIC.1),
        issuer_country: Some("FRA"),
        card_type: Some(CardType::Debit),
        origin: RangeOrigin::LyraTest,
        ..scheme("497010", "497010", Cb)
    },
    // The French Carte Bleue block 4971–4979: VISA cards of French banks, issued co-badged
    // with CB. 4970 is left to the plain VISA row: it holds the Lyra test range, and merchants'
    // tests use other 4970 numbers as ordinary international VISA cards.
    BinRange { co_brands: &[Visa], issuer_country: Some("FRA"), ..scheme("4971", "4979", Cb) },
    // VISA Electron: debit only.
    visa_electron("4026", "4026"),
    visa_electron("417500", "417500"),
    visa_electron("4405", "4405"),
    visa_electron("4508", "4508"),
    visa_electron("4844", "4844"),
    visa_electron("4913", "4913"),
    visa_electron("4917", "4917"),
    // Bancontact (Belgium), co-badged Maestro.
    BinRange {
        co_brands: &[Maestro],
        issuer_country: Some("BEL"),
        card_type: Some(CardType::Debit),
        ..scheme("6703", "6703", Bcmc)
    },
    // Maestro UK (formerly Switch).
    BinRange { issuer_country: Some("GBR"), ..maestro("6759", "6759") },
    // Ordinary scheme ranges.
    scheme("4", "4", Visa),
    scheme("51", "55", Mastercard),
    scheme("2221", "2720", Mastercard),
    scheme("34", "34", Amex),
    scheme("37", "37", Amex),
    maestro("50", "50"),
    // 62 is China UnionPay's, inside Maestro's 56–69.
    maestro("56", "61"),
    BinRange { issuer_country: Some("CHN"), ..scheme("62", "62", Cup) },
    maestro("63", "69"),
    BinRange { issuer_country: Some("JPN"), ..scheme("3528", "3589", Jcb) },
    scheme("36", "36", Diners),
    scheme("38", "38", Diners),
    scheme("300", "305", Diners),
];

/// The most specific row for a card number or IIN; `None` for a number no scheme claims.
pub fn lookup(digits: &str) -> Option<&'static BinRange> {
    BIN_RANGES.iter().filter(|range| range.contains(digits)).max_by_key(|range| range.prefix_len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_well_formed() {
        for range in BIN_RANGES {
            assert!(!range.low.is_empty(), "{range:?}");
            assert!(range.low.len() <= 6, "{range:?}");
            assert_eq!(range.low.len(), range.high.len(), "{range:?}");
            assert!(range.low.bytes().all(|b| b.is_ascii_digit()), "{range:?}");
            assert!(range.high.bytes().all(|b| b.is_ascii_digit()), "{range:?}");
            assert!(range.low <= range.high, "{range:?}");
            assert!(!range.co_brands.contains(&range.brand), "{range:?}");
        }
    }

    #[test]
    fn rows_of_one_length_never_overlap() {
        for (index, a) in BIN_RANGES.iter().enumerate() {
            for b in &BIN_RANGES[index + 1..] {
                if a.prefix_len() == b.prefix_len() {
                    assert!(a.high < b.low || b.high < a.low, "{a:?} overlaps {b:?}");
                }
            }
        }
    }

    #[test]
    fn most_specific_row_wins() {
        assert_eq!(lookup("4100001234").unwrap().origin, RangeOrigin::SipsSimulation);
        assert_eq!(lookup("4111111111").unwrap().origin, RangeOrigin::Scheme);
        assert_eq!(lookup("4970101234").unwrap().origin, RangeOrigin::LyraTest);
        assert_eq!(lookup("6212345678").unwrap().brand, Cup);
        assert_eq!(lookup("6112345678").unwrap().brand, Maestro);
        assert_eq!(lookup("6312345678").unwrap().brand, Maestro);
    }

    #[test]
    fn range_bounds_are_inclusive() {
        assert_eq!(lookup("2221000000").unwrap().brand, Mastercard);
        assert_eq!(lookup("2720990000").unwrap().brand, Mastercard);
        assert!(lookup("2220990000").is_none());
        assert!(lookup("2721000000").is_none());
        assert_eq!(lookup("3528000000").unwrap().brand, Jcb);
        assert_eq!(lookup("3589000000").unwrap().brand, Jcb);
        assert!(lookup("3590000000").is_none());
    }

    #[test]
    fn a_bare_iin_is_enough() {
        assert_eq!(lookup("430000").unwrap().co_brands, &[Visa]);
        // Too short to reach the simulation BIN: only the scheme range is known.
        assert_eq!(lookup("4300").unwrap().origin, RangeOrigin::Scheme);
        assert!(lookup("").is_none());
    }

    #[test]
    fn maestro_is_debit() {
        assert_eq!(lookup("6759649826").unwrap().card_type, Some(CardType::Debit));
        assert_eq!(lookup("4111111111").unwrap().card_type, None);
    }

    #[test]
    fn test_ranges() {
        assert!(lookup("500000").unwrap().is_test_range());
        assert!(lookup("497010").unwrap().is_test_range());
        assert!(!lookup("497011").unwrap().is_test_range());
    }

    #[test]
    fn card_data_columns() {
        let co_badged = lookup("4300000000000000").unwrap();
        assert_eq!(co_badged.brands().collect::<Vec<_>>(), vec![Cb, Visa]);
        assert_eq!((co_badged.product_code, co_badged.product_name), (Some("F"), Some("VISA CLASSIC")));
        assert_eq!((co_badged.issuer_country, co_badged.issuer_region()), (Some("FRA"), Some("D")));
        assert_eq!(co_badged.pan_check_algorithm(), "N");
        let french = lookup("4974123412341234").unwrap();
        assert_eq!((french.brand, french.co_brands), (Cb, &[Visa][..]));
        assert_eq!(french.pan_check_algorithm(), "L");
        assert_eq!(lookup("4970110000000007").unwrap().brand, Visa);
        assert_eq!(lookup("4917300000000008").unwrap().brand, VisaElectron);
        assert_eq!(lookup("4917300000000008").unwrap().card_type, Some(CardType::Debit));
        assert_eq!(lookup("378282246310005").unwrap().pan_lengths(), (15, 15));
        assert_eq!(lookup("6703000000000000").unwrap().brands().collect::<Vec<_>>(), vec![Bcmc, Maestro]);
        assert_eq!(card_scheme(Maestro), "MASTERCARD");
        assert_eq!(card_scheme(Cb), "CB");
        assert_eq!(CardType::Prepaid.profile(), "P");
        assert_eq!(CardType::Debit.usage_label(), "DEBIT");
    }
}
