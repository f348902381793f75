//! Which brand a card number belongs to, read from its first digits.
//!
//! The table is data, not code: a later issue grows it into the BIN table that `getCardData`
//! answers from (PROTOCOLS.md §5.1: product, issuer country, card type), so the columns it will
//! need are already here, empty where caisse does not know them yet.

use caisse_core::card::CardBrand;
use caisse_core::card::CardBrand::{Amex, Cb, Cup, Diners, Jcb, Maestro, Mastercard, Visa};

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
    /// Scheme product code (`cardProductCode`); `None` while unknown.
    pub product_code: Option<&'static str>,
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
}

const fn scheme(low: &'static str, high: &'static str, brand: CardBrand) -> BinRange {
    BinRange {
        low,
        high,
        brand,
        co_brands: &[],
        product_code: None,
        issuer_country: None,
        card_type: None,
        origin: RangeOrigin::Scheme,
    }
}

const fn simulation(bin: &'static str, brand: CardBrand, co_brands: &'static [CardBrand]) -> BinRange {
    BinRange { co_brands, origin: RangeOrigin::SipsSimulation, ..scheme(bin, bin, brand) }
}

/// Maestro is a debit brand whatever the issuer.
const fn maestro(low: &'static str, high: &'static str) -> BinRange {
    BinRange { card_type: Some(CardType::Debit), ..scheme(low, high, Maestro) }
}

/// The table. Rows of the same prefix length never overlap (a test checks it); a longer prefix
/// wins over a shorter one, so a simulation BIN overrides its scheme's range.
pub const BIN_RANGES: &[BinRange] = &[
    // Sips simulation BINs, PROTOCOLS.md §1.
    simulation("410000", Visa, &[]),
    simulation("420000", Cb, &[]),
    simulation("430000", Cb, &[Visa]),
    simulation("510000", Mastercard, &[]),
    simulation("520000", Cb, &[Mastercard]),
    simulation("340000", Amex, &[]),
    simulation("500000", Maestro, &[]),
    // Lyra test cards 4970 10xx xxxx xxxx, PROTOCOLS.md §2: co-badged CB + VISA.
    BinRange { co_brands: &[Visa], origin: RangeOrigin::LyraTest, ..scheme("497010", "497010", Cb) },
    // Ordinary scheme ranges. French CB ranges are not listed: a real CB card carries a VISA or
    // MASTERCARD BIN, so without the banks' own table it reads as that brand.
    scheme("4", "4", Visa),
    scheme("51", "55", Mastercard),
    scheme("2221", "2720", Mastercard),
    scheme("34", "34", Amex),
    scheme("37", "37", Amex),
    maestro("50", "50"),
    // 62 is China UnionPay's, inside Maestro's 56–69.
    maestro("56", "61"),
    scheme("62", "62", Cup),
    maestro("63", "69"),
    scheme("3528", "3589", Jcb),
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
}
